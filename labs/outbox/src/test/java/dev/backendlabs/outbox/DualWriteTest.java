package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The dual write fails both ways. With the broker really stopped, orders committed before the
 * send have no event (lost); with a crash injected between the send and the commit, events exist
 * for orders that were rolled back (phantom).
 */
@Lab
class DualWriteTest {

    private static final int ORDERS = 10;
    /** Each of these waits for the producer's delivery timeout, so a few are enough. */
    private static final int ORDERS_WHILE_DOWN = 3;

    @Test
    void commitThenPublishLosesEventsWhileKafkaIsDown(KafkaBackend kafka, LabReport report) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        Set<String> committed = new HashSet<>();
        try (KafkaProducer<String, String> producer = OutboxFixture.impatientProducer(kafka)) {
            DualWritePublisher publisher = new DualWritePublisher(OutboxFixture.dataSource(), producer, topic, Duration.ofSeconds(5));
            for (int i = 0; i < ORDERS; i++) {
                Order order = Order.create("customer-" + i, 1_000 + i);
                publisher.commitThenPublish(order);
                committed.add(order.id().toString());
            }
            kafka.stop();
            try {
                for (int i = 0; i < ORDERS_WHILE_DOWN; i++) {
                    Order order = Order.create("customer-down-" + i, 2_000 + i);
                    assertThatThrownBy(() -> publisher.commitThenPublish(order)).isInstanceOf(Exception.class);
                    committed.add(order.id().toString());
                }
            } finally {
                kafka.start();
            }
        }

        Set<String> published = readKeys(kafka, topic, ORDERS);
        long lost = committed.stream().filter(id -> !published.contains(id)).count();
        report.metric("dual_write_lost_events", lost, "events",
                "Orders committed by commit-then-publish with no event in Kafka; " + ORDERS_WHILE_DOWN + " of "
                        + (ORDERS + ORDERS_WHILE_DOWN) + " were placed while the broker was stopped.");
        assertThat(OutboxFixture.count("SELECT count(*) FROM orders")).isEqualTo(ORDERS + ORDERS_WHILE_DOWN);
        assertThat(lost).isPositive();
    }

    @Test
    void publishThenCommitInventsEventsWhenTheTransactionFails(KafkaBackend kafka, LabReport report) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        Set<String> rolledBack = new HashSet<>();
        try (KafkaProducer<String, String> producer = OutboxFixture.impatientProducer(kafka)) {
            DualWritePublisher publisher = new DualWritePublisher(OutboxFixture.dataSource(), producer, topic, Duration.ofSeconds(5));
            for (int i = 0; i < ORDERS; i++) {
                Order order = Order.create("customer-" + i, 1_000 + i);
                assertThatThrownBy(() -> publisher.publishThenCommit(order, () -> {
                    throw new SQLException("simulated crash between the send and the commit");
                })).isInstanceOf(SQLException.class);
                rolledBack.add(order.id().toString());
            }
        }

        Set<String> published = readKeys(kafka, topic, ORDERS);
        long phantoms = published.stream().filter(rolledBack::contains).count();
        report.metric("dual_write_phantom_events", phantoms, "events",
                "Events in Kafka for orders that publish-then-commit rolled back (" + ORDERS + " injected failures).");
        assertThat(OutboxFixture.count("SELECT count(*) FROM orders")).isZero();
        assertThat(phantoms).isPositive();
    }

    /** Reads the topic until {@code atLeast} keys arrived and a further second brings nothing new. */
    private static Set<String> readKeys(KafkaBackend kafka, String topic, int atLeast) {
        Set<String> keys = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = OutboxFixture.consumer(kafka, topic)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> keys.add(record.key()));
                return keys.size() >= atLeast;
            });
            consumer.poll(Duration.ofSeconds(1)).forEach(record -> keys.add(record.key()));
        }
        return keys;
    }
}
