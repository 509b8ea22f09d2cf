package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records the consumer can never apply, between healthy ones in one Kafka partition: no
 * {@code event_id} header, one that is not a UUID, a payload that is not JSON, and a record without
 * a key (readable, but the effect's {@code aggregate_id NOT NULL} refuses it inside the transaction,
 * so its savepoint is rolled back). Each is dead-lettered once, even when the whole partition is
 * delivered again, and every healthy record before and after them is applied once.
 */
@Lab
class PoisonRecordTest {

    private static final int HEALTHY_BEFORE = 10;
    private static final int HEALTHY_AFTER = 10;
    private static final int POISON = 4;

    @Test
    void poisonRecordsAreDeadLetteredOnceAndTheRecordsAroundThemAreAppliedOnce(KafkaBackend kafka, LabReport report) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        Set<String> healthy = new HashSet<>();
        try (KafkaProducer<String, String> producer = OutboxFixture.producer(kafka);
             KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic)) {
            List<ProducerRecord<String, String>> records = new ArrayList<>();
            for (int i = 0; i < HEALTHY_BEFORE; i++) {
                records.add(healthy(topic, "before-" + i, healthy));
            }
            records.add(record(topic, "acct-1", null, "{\"seq\": 1}"));
            records.add(record(topic, "acct-2", "not-a-uuid", "{\"seq\": 1}"));
            records.add(record(topic, "acct-3", UUID.randomUUID().toString(), "{\"seq\": 1"));
            records.add(record(topic, null, UUID.randomUUID().toString(), "{\"seq\": 1}"));
            for (int i = 0; i < HEALTHY_AFTER; i++) {
                records.add(healthy(topic, "after-" + i, healthy));
            }
            for (ProducerRecord<String, String> record : records) {
                producer.send(record).get();
            }

            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "poison");
            OutboxFixture.drain(consumer, healthy.size(), Duration.ofSeconds(30));
            // The whole partition again, as after a crash before the offset commit: nothing may be applied or dead-lettered twice.
            kafkaConsumer.seekToBeginning(kafkaConsumer.assignment());
            int total = records.size();
            OutboxFixture.eventually(Duration.ofSeconds(10), Duration.ofMillis(1),
                    () -> consumer.pollOnce(Duration.ofMillis(200)) >= 0 && consumer.duplicates() >= total);

            long deadLetters = OutboxFixture.count("SELECT count(*) FROM dead_letters");
            report.metric("consumer_poison_dead_lettered", deadLetters, "records",
                    POISON + " unreadable records between " + (HEALTHY_BEFORE + HEALTHY_AFTER) + " healthy ones, each delivered twice:"
                            + " dead-lettered once each instead of blocking the partition.");
            assertThat(deadLetters).isEqualTo(POISON);
            assertThat(consumer.deadLettered()).isEqualTo(POISON);
            assertThat(errors()).hasSize(POISON).anyMatch(error -> error.contains("no event_id header"))
                    .anyMatch(error -> error.contains("is not a UUID")).anyMatch(error -> error.contains("payload is not JSON"))
                    .anyMatch(error -> error.contains("aggregate_id"));
            assertThat(appliedEventIds()).as("healthy records applied").containsExactlyInAnyOrderElementsOf(healthy);
            assertThat(OutboxFixture.duplicateEffects()).isZero();
            assertThat(consumer.duplicates()).as("redeliveries absorbed: inbox and dead letters").isEqualTo(total);
        }
    }

    private static ProducerRecord<String, String> healthy(String topic, String key, Set<String> healthy) {
        String eventId = UUID.randomUUID().toString();
        healthy.add(eventId);
        return record(topic, key, eventId, "{\"seq\": 1}");
    }

    /** A record on partition 0, so that "before" and "after" are positions in one log. */
    private static ProducerRecord<String, String> record(String topic, String key, String eventId, String payload) {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, 0, key, payload);
        if (eventId != null) {
            record.headers().add("event_id", eventId.getBytes(StandardCharsets.UTF_8));
        }
        return record;
    }

    private static List<String> errors() throws Exception {
        return strings("SELECT error FROM dead_letters");
    }

    private static List<String> appliedEventIds() throws Exception {
        return strings("SELECT event_id::text FROM effects");
    }

    private static List<String> strings(String sql) throws Exception {
        List<String> values = new ArrayList<>();
        try (Connection connection = OutboxFixture.dataSource().getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                values.add(rows.getString(1));
            }
        }
        return values;
    }
}
