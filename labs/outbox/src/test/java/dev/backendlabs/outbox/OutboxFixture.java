package dev.backendlabs.outbox;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.sql.Sql;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.awaitility.core.ConditionTimeoutException;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;

/**
 * The lab's database, topics, clients and scenario helpers: one database per run, a fresh topic and
 * consumer group per test, a producer per relay.
 */
final class OutboxFixture {

    static final LabNamespace NAMESPACE = LabNamespace.current();
    static final int PARTITIONS = 16;
    static final int MAX_PAYLOAD = 16 * 1024;
    /** Aggregates of {@link #writeSequencedEvents}. */
    static final int AGGREGATES = 100;

    private static HikariDataSource dataSource;

    private OutboxFixture() {
    }

    /**
     * The lab's pool. Its 2 s connection timeout is how long a caller waits for a connection while
     * PostgreSQL is stopped (the default 5 s would only make the outage tests slower).
     */
    static synchronized HikariDataSource dataSource() throws SQLException {
        if (dataSource == null) {
            dataSource = Backends.postgres().dataSource(NAMESPACE, config -> {
                config.setMaximumPoolSize(12);
                config.setConnectionTimeout(2_000);
            });
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

    /** A relay's producer settings: {@link RelayVariant#producerProperties}. */
    static Properties producerProperties(KafkaBackend kafka) {
        return RelayVariant.producerProperties(kafka);
    }

    static KafkaProducer<String, String> producer(KafkaBackend kafka) {
        return new KafkaProducer<>(producerProperties(kafka));
    }

    /**
     * A producer that gives up on a record it could not deliver within 1.5 s. The dual-write
     * publisher's, so that a stopped broker fails it quickly; and the outage test's relay's, so that
     * records sent during the outage are really dropped — a relay that committed without their acks
     * would lose them, instead of the producer delivering them after the restart.
     */
    static Properties impatientProducerProperties(KafkaBackend kafka) {
        Properties properties = producerProperties(kafka);
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1_000);
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 1_500);
        return properties;
    }

    static KafkaProducer<String, String> impatientProducer(KafkaBackend kafka) {
        return new KafkaProducer<>(impatientProducerProperties(kafka));
    }

    /** A relay's producer factory: every relay makes its own producer, as every relay process would. */
    static Supplier<KafkaProducer<String, String>> producers(KafkaBackend kafka) {
        return () -> producer(kafka);
    }

    static KafkaConsumer<String, String> consumer(KafkaBackend kafka, String topic) {
        return kafka.newConsumer(NAMESPACE.consumerGroup("c-" + UUID.randomUUID()), topic);
    }

    /** A partition-owning relay at batch 100 with its own producer and a 5 s ack timeout; add hooks or change the batch on the builder. */
    static OutboxRelay.Builder relay(KafkaBackend kafka, String topic) throws SQLException {
        return OutboxRelay.builder(dataSource(), writer()).producers(producers(kafka)).topic(topic).batchSize(100)
                .ackTimeout(Duration.ofSeconds(5));
    }

    /** One partition-owning relay at batch 100 on its own thread: 20 ms idle poll, backoff capped at 1 s. */
    static RelayRunner runner(KafkaBackend kafka, String topic, String name) throws SQLException {
        return new RelayRunner(relay(kafka, topic).build(), name, Duration.ofMillis(20), Duration.ofSeconds(1));
    }

    /**
     * A CDC relay on a new slot (and publication) of the lab's database, with its own producer and a
     * 5 s ack timeout, offsets in a new temporary directory; the caller closes it and drops its slot
     * ({@link #closeAndDropSlot}): a leftover slot would retain WAL for every later test.
     */
    static CdcRelay.Builder cdcRelay(KafkaBackend kafka, String topic) throws SQLException {
        PostgresBackend postgres = Backends.postgres();
        return CdcRelay.builder(dataSource())
                .connection(postgres.host(), postgres.port(), NAMESPACE.database(), postgres.user(), postgres.password())
                .slot("outbox_" + UUID.randomUUID().toString().substring(0, 8))
                .producers(producers(kafka)).topic(topic).ackTimeout(Duration.ofSeconds(5));
    }

    /** Closes the relay, then drops its slot and publication even if the close failed. */
    static void closeAndDropSlot(CdcRelay relay) throws SQLException {
        try {
            relay.close();
        } finally {
            relay.dropSlot();
        }
    }

    static OutboxWriter writer() {
        return new OutboxWriter(MAX_PAYLOAD, PARTITIONS);
    }

    static long count(String sql) throws SQLException {
        return Sql.queryLong(dataSource(), sql);
    }

    /**
     * Whether {@code condition} became true within {@code timeout}; a condition that throws counts as
     * not yet true. It does not throw on a timeout: a test measures and records what happened first,
     * and asserts after.
     */
    static boolean eventually(Duration timeout, Duration pollInterval, Callable<Boolean> condition) {
        try {
            await().atMost(timeout).pollDelay(Duration.ZERO).pollInterval(pollInterval).ignoreExceptions().until(condition);
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    /**
     * Polls until the consumer has applied {@code expected} distinct events or {@code timeout} passed;
     * the caller asserts the counts. Like a service's consumer loop, it polls again after a failed
     * poll (which was rewound), so a consumer that cannot get past a record shows up as missing effects.
     * It counts the effects only once the consumer has received as many records as expected (every
     * applied event was received): a {@code count(DISTINCT …)} over the whole effects table after
     * every poll would put a query that grows with the run between the consumer's polls, and delay
     * every record that arrives meanwhile.
     */
    static boolean drain(InboxConsumer consumer, long expected, Duration timeout) {
        return eventually(timeout, Duration.ofMillis(1), () -> {
            consumer.pollOnce(Duration.ofMillis(200));
            return consumer.deliveries() >= expected && appliedEvents() >= expected;
        });
    }

    static long appliedEvents() throws SQLException {
        return count("SELECT count(DISTINCT event_id) FROM effects");
    }

    /** Committed orders without an effect at the consumer: lost events. */
    static long ordersWithoutEffect() throws SQLException {
        return count("SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM effects e WHERE e.aggregate_id = o.id::text)");
    }

    /** Consecutive effects of one aggregate whose sequence number went down: events applied out of order. */
    static long orderViolations() throws SQLException {
        return count("SELECT count(*) FROM (SELECT sequence_no,"
                + " lag(sequence_no) OVER (PARTITION BY aggregate_id ORDER BY applied_no) AS previous FROM effects) applied"
                + " WHERE previous IS NOT NULL AND sequence_no < previous");
    }

    /** Effects applied more than once for the same event. */
    static long duplicateEffects() throws SQLException {
        return count("SELECT count(*) - count(DISTINCT event_id) FROM effects");
    }

    /** {@link #AGGREGATES} aggregates, each with events numbered 1, 2, 3… in its "seq" field, interleaved, 500 per transaction. */
    static void writeSequencedEvents(int events) throws SQLException {
        OutboxWriter writer = writer();
        try (Connection connection = dataSource().getConnection()) {
            connection.setAutoCommit(false);
            for (int i = 0; i < events; i++) {
                int aggregate = i % AGGREGATES;
                String payload = "{\"seq\": " + (i / AGGREGATES + 1) + "}";
                writer.append(connection, OutboxEvent.of("account", "acct-" + aggregate, "Deposited", payload));
                if (i % 500 == 499) {
                    connection.commit();
                }
            }
            connection.commit();
        }
    }

    /**
     * A steady order stream (an order, a 2 ms pause, repeated) and a consumer loop, each on its own
     * thread, until closed. The consumer keeps polling through failures, as a service's loop would:
     * a failed poll was rewound and is delivered again.
     */
    static final class Traffic implements AutoCloseable {

        private final AtomicBoolean writing = new AtomicBoolean(true);
        private final AtomicBoolean consuming = new AtomicBoolean(true);
        private final AtomicLong placed = new AtomicLong();
        private final ExecutorService executor = Executors.newFixedThreadPool(2);
        private final Future<?> writer;
        private final Future<?> consumerLoop;

        /** Starts the stream of orders through {@code orders}, and {@code consumer}'s loop if it is not null. */
        Traffic(OrderService orders, InboxConsumer consumer) {
            writer = executor.submit(() -> {
                while (writing.get()) {
                    orders.place(Order.create("customer-" + placed.get() % 97, 100 + placed.get()));
                    placed.incrementAndGet();
                    Thread.sleep(2);
                }
                return null;
            });
            consumerLoop = consumer == null ? null : executor.submit(() -> {
                while (consuming.get()) {
                    try {
                        consumer.pollOnce(Duration.ofMillis(100));
                    } catch (KafkaException | SQLException e) {
                        // Offset commits fail while the broker is away: the records are redelivered and the inbox absorbs them.
                    }
                }
                return null;
            });
        }

        /** Orders committed so far. */
        long placed() {
            return placed.get();
        }

        /** Stops placing orders; returns how many were committed (a failed order fails the test here). */
        long stopWriting() throws Exception {
            writing.set(false);
            writer.get(30, TimeUnit.SECONDS);
            return placed.get();
        }

        /** Stops the writer and the consumer loop. */
        @Override
        public void close() throws Exception {
            writing.set(false);
            consuming.set(false);
            try {
                if (consumerLoop != null) {
                    consumerLoop.get(30, TimeUnit.SECONDS);
                }
            } finally {
                executor.shutdownNow();
            }
        }
    }

    /** Runs every relay on its own thread until the outbox is empty. */
    static void runUntilEmpty(List<? extends BatchRelay> relays) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(relays.size());
        try {
            List<Future<?>> running = new ArrayList<>();
            for (BatchRelay relay : relays) {
                running.add(executor.submit(() -> {
                    // An empty pass may only mean that other relays hold every partition with rows right now.
                    while (true) {
                        if (relay.publishBatch() > 0) {
                            continue;
                        }
                        if (OutboxBacklog.of(dataSource()).events() == 0) {
                            return null;
                        }
                        Thread.sleep(1);
                    }
                }));
            }
            for (Future<?> future : running) {
                future.get(120, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
        }
    }
}
