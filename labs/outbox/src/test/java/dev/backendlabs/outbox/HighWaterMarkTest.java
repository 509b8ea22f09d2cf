package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The late-commit gap. Transaction A inserts an event (taking the lower id) and stays open;
 * transaction B inserts one (the higher id) and commits; the relay publishes; then A commits. A
 * relay that continues from "the highest id published" never sees A's event. The lab's relay,
 * which deletes what it published and claims whatever is left, publishes it on its next pass.
 */
@Lab
class HighWaterMarkTest {

    @Test
    void highWaterMarkRelayLosesALateCommitWhileTheOutboxRelayDoesNot(KafkaBackend kafka, LabReport report) throws Exception {
        long naiveLost = lateCommitScenario(kafka, true);
        long outboxLost = lateCommitScenario(kafka, false);

        report.metric("high_water_mark_lost_events", naiveLost, "events",
                "Events never published by an id > last-published relay when a lower id commits after a higher one was published.");
        assertThat(naiveLost).isEqualTo(1);
        assertThat(outboxLost).isZero();
    }

    /** Returns how many of the two events never reached the consumer. */
    private static long lateCommitScenario(KafkaBackend kafka, boolean highWaterMark) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OutboxWriter writer = OutboxFixture.writer();
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic);
             BatchRelay relay = highWaterMark
                     ? new HighWaterMarkRelay(OutboxFixture.dataSource(), OutboxFixture.producers(kafka), topic, 100,
                             Duration.ofSeconds(10))
                     : OutboxFixture.relay(kafka, topic).ackTimeout(Duration.ofSeconds(10)).build();
             Connection late = OutboxFixture.dataSource().getConnection();
             Connection early = OutboxFixture.dataSource().getConnection()) {
            late.setAutoCommit(false);
            early.setAutoCommit(false);
            writer.append(late, OutboxEvent.of("account", "acct-late", "Deposited", "{\"seq\": 1}"));     // takes id 1
            writer.append(early, OutboxEvent.of("account", "acct-early", "Deposited", "{\"seq\": 1}"));   // takes id 2
            early.commit();

            relay.publishBatch();
            late.commit();
            relay.publishBatch();
            relay.publishBatch();

            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "late-commit");
            // Wait for the first event (however long the new consumer group takes to join), then 2 s more for a second.
            OutboxFixture.drain(consumer, 1, Duration.ofSeconds(60));
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < deadline && OutboxFixture.count("SELECT count(*) FROM effects") < 2) {
                consumer.pollOnce(Duration.ofMillis(200));
            }
            return 2 - OutboxFixture.appliedEvents();
        }
    }
}
