package dev.backendlabs.outbox;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.backend.LabNamespace;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/** The lab's database, topics and clients: one database per run, a fresh topic and consumer group per test. */
final class OutboxFixture {

    static final LabNamespace NAMESPACE = new LabNamespace("outbox");
    static final int PARTITIONS = 16;
    static final int MAX_PAYLOAD = 16 * 1024;

    private static HikariDataSource dataSource;

    private OutboxFixture() {
    }

    static synchronized HikariDataSource dataSource() throws SQLException {
        if (dataSource == null) {
            dataSource = Backends.postgres().dataSource(NAMESPACE, config -> config.setMaximumPoolSize(12));
            try (Connection connection = dataSource.getConnection()) {
                OutboxSchema.create(connection);
            }
        }
        return dataSource;
    }

    /** Empties the tables and creates a fresh 8-partition topic; returns its name. */
    static String freshTopic(KafkaBackend kafka) throws SQLException {
        try (Connection connection = dataSource().getConnection()) {
            OutboxSchema.truncate(connection);
        }
        String topic = NAMESPACE.topic("events-" + UUID.randomUUID().toString().substring(0, 8));
        kafka.createTopic(topic, 8);
        return topic;
    }

    /** An idempotent producer with short timeouts, so an outage shows up in seconds. */
    static KafkaProducer<String, String> producer(KafkaBackend kafka) {
        Properties properties = kafka.producerProperties();
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1_000);
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 1_500);
        properties.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(properties);
    }

    static KafkaConsumer<String, String> consumer(KafkaBackend kafka, String topic) {
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(kafka.consumerProperties(NAMESPACE.consumerGroup("c-" + UUID.randomUUID())));
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /** One partition-owning relay at batch 100 on its own thread: 20 ms idle poll, backoff capped at 1 s. */
    static RelayRunner runner(KafkaProducer<String, String> producer, String topic, String name) throws SQLException {
        return new RelayRunner(new OutboxRelay(dataSource(), producer, topic, writer(), 100, Duration.ofSeconds(5), new BatchRelay.Hooks() { }),
                name, Duration.ofMillis(20), Duration.ofSeconds(1));
    }

    static OutboxWriter writer() {
        return new OutboxWriter(MAX_PAYLOAD, PARTITIONS);
    }

    static long count(String sql) throws SQLException {
        try (Connection connection = dataSource().getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Polls until the consumer has applied {@code expected} distinct events, or fails after {@code timeout}. */
    static void drain(InboxConsumer consumer, long expected, Duration timeout) {
        await().atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> {
            consumer.pollOnce(Duration.ofMillis(200));
            return count("SELECT count(DISTINCT event_id) FROM effects") >= expected;
        });
    }

    /** Consecutive effects of one aggregate whose sequence number went down: events applied out of order. */
    static long orderViolations() throws SQLException {
        return count("SELECT count(*) FROM (SELECT sequence_no, lag(sequence_no) OVER (PARTITION BY aggregate_id ORDER BY applied_no) AS previous"
                + " FROM effects) applied WHERE previous IS NOT NULL AND sequence_no < previous");
    }

    /** Effects applied more than once for the same event. */
    static long duplicateEffects() throws SQLException {
        return count("SELECT count(*) - count(DISTINCT event_id) FROM effects");
    }
}
