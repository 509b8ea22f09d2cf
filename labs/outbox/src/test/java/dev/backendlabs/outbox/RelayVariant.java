package dev.backendlabs.outbox;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.PostgresBackend;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.UUID;

/**
 * The three relays the side-by-side experiment and {@code OutboxRelayBenchmark} compare, each with
 * the writer it needs and set up the same way for both: one relay, its own producer (idempotent,
 * {@code acks=all}, {@code linger.ms=0}), a 5 s ack timeout. A polling relay gets its own two-connection
 * pool, closed with it, so that the database work it caused is flushed to PostgreSQL's statistics
 * when it stops.
 */
public enum RelayVariant {

    /** {@link OutboxRelay} at batch 100 on a {@link RelayRunner} polling every 20 ms when idle. */
    POLLING("polling", Duration.ofMillis(20)),

    /**
     * The same relay woken by {@link NotifyWakeup}: the writer sends {@code NOTIFY outbox} in each
     * transaction; the poll stays as the fallback, every second.
     */
    POLLING_NOTIFY("polling + NOTIFY", Duration.ofSeconds(1)) {
        @Override
        public OutboxWriter writer(OutboxWriter base) {
            return base.notifying();
        }
    },

    /** {@link CdcRelay}: Debezium reading the outbox's inserts from the WAL, 5 ms connector poll, 1 s offset flush. */
    CDC("CDC", Duration.ZERO) {
        @Override
        public Relay create(PostgresBackend postgres, LabNamespace namespace, KafkaBackend kafka, OutboxWriter writer, String topic)
                throws SQLException {
            HikariDataSource pool = postgres.dataSource(namespace, config -> config.setMaximumPoolSize(2));
            CdcRelay relay = CdcRelay.builder(pool)
                    .connection(postgres.host(), postgres.port(), namespace.database(), postgres.user(), postgres.password())
                    .slot("outbox_" + UUID.randomUUID().toString().substring(0, 8))
                    .producers(() -> new KafkaProducer<>(producerProperties(kafka))).topic(topic).ackTimeout(ACK_TIMEOUT)
                    .build();
            try {
                relay.prepare();
            } catch (SQLException | RuntimeException e) {
                pool.close();
                throw e;
            }
            return new Relay() {
                @Override
                public void start() throws SQLException {
                    relay.start();
                }

                @Override
                public long published() {
                    return relay.published();
                }

                @Override
                public void close() throws SQLException {
                    try (pool) {
                        relay.close();
                        relay.dropSlot(); // a leftover slot would retain WAL for everything that runs later
                    }
                }
            };
        }
    };

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);
    private static final int BATCH = 100;

    private final String label;
    private final Duration idlePoll;

    RelayVariant(String label, Duration idlePoll) {
        this.label = label;
        this.idlePoll = idlePoll;
    }

    /** A relay made but not yet publishing: for CDC its slot exists already, so every event written from now on reaches it. */
    public interface Relay extends AutoCloseable {

        void start() throws SQLException;

        /** Events published so far (acknowledged by Kafka). */
        long published();

        /** Stops the relay and releases what it holds: its pool, and for CDC its replication slot. */
        @Override
        void close() throws SQLException;
    }

    public String label() {
        return label;
    }

    /** The writer this relay needs, from the lab's writer. */
    public OutboxWriter writer(OutboxWriter base) {
        return base;
    }

    /** Makes the relay for {@code topic}, following {@code writer}'s partitioning; {@link Relay#start()} starts it. */
    public Relay create(PostgresBackend postgres, LabNamespace namespace, KafkaBackend kafka, OutboxWriter writer, String topic)
            throws SQLException {
        HikariDataSource pool = postgres.dataSource(namespace, config -> config.setMaximumPoolSize(2));
        RelayVariant variant = this;
        return new Relay() {
            private RelayRunner runner;

            @Override
            public void start() {
                OutboxRelay relay = OutboxRelay.builder(pool, writer).producers(() -> new KafkaProducer<>(producerProperties(kafka)))
                        .topic(topic).batchSize(BATCH).ackTimeout(ACK_TIMEOUT).build();
                RelayRunner.Wakeup wakeup = variant == POLLING_NOTIFY ? new NotifyWakeup(pool) : RelayRunner.Wakeup.SLEEP;
                runner = new RelayRunner(relay, "relay-" + name().toLowerCase(), idlePoll, Duration.ofSeconds(1), wakeup);
            }

            @Override
            public long published() {
                return runner == null ? 0 : runner.relay().published();
            }

            @Override
            public void close() {
                try (pool) {
                    if (runner != null) {
                        runner.close();
                    }
                }
            }
        };
    }

    /**
     * A relay's producer: idempotent, {@code acks=all}, {@code linger.ms=0} (a relay sends its batch
     * and waits for it; it never flushes) and a 1 s {@code max.block.ms}, below every ack timeout
     * here. Delivery and request timeouts keep their generous defaults (30 s, 10 s): the relay's ack
     * timeout, not the producer, bounds a pass, and a slow broker on a loaded machine gets time.
     */
    static Properties producerProperties(KafkaBackend kafka) {
        Properties properties = kafka.producerProperties();
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
        properties.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return properties;
    }
}
