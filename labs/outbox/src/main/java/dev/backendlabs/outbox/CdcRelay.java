package dev.backendlabs.outbox;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.github.resilience4j.core.IntervalFunction;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * THE PATTERN, log-based relay: Debezium's embedded engine reads the outbox's inserts from
 * PostgreSQL's write-ahead log through a logical replication slot ({@code pgoutput}), its Outbox
 * Event Router turns each insert into an event, and the relay publishes it to the same topic,
 * with the same key (the aggregate id) and the same headers ({@code event_id}, {@code event_type})
 * as the polling relays — through the same {@link EventPublisher}.
 *
 * <pre>{@code
 * CdcRelay relay = CdcRelay.builder(dataSource)
 *         .connection("db.internal", 5432, "shop", "relay", password)   // a role with REPLICATION
 *         .slot("outbox_relay").offsets(Path.of("/var/lib/relay/offsets.dat"))
 *         .producers(() -> new KafkaProducer<>(properties)).topic("orders")
 *         .build();
 * relay.start();      // creates the publication and the slot if missing, then streams
 * ...
 * relay.close();      // flushes the offsets; the slot stays and keeps the WAL from here on
 * relay.dropSlot();   // only when the relay is retired: the slot would otherwise pin WAL forever
 * }</pre>
 *
 * <h2>What it owns</h2>
 * <ul>
 *   <li><b>The publication</b>: {@code FOR TABLE outbox WITH (publish = 'insert')}, so the log
 *       sends the outbox's inserts and nothing else: no other table, and no deletes of the
 *       outbox's own housekeeping.</li>
 *   <li><b>The replication slot</b>: created at {@link #start()} if missing, adopted if it exists
 *       (it then holds every insert since its creation). The slot is what makes the stream
 *       lossless while the relay is down — and what retains WAL meanwhile ({@link #slotState}).</li>
 *   <li><b>The offsets</b>: a file under the relay's control. The position committed to it is also
 *       confirmed to the slot ({@code confirmed_flush_lsn}), which then releases the WAL before it.
 *       Committed every {@code offsetFlushInterval}, and only for records Kafka acknowledged.</li>
 *   <li><b>The engine's lifecycle</b>: one engine on its own thread, stopped by {@link #close()}.</li>
 * </ul>
 *
 * <h2>Delivery: at least once, in commit order</h2>
 * The engine hands over a batch of routed events; the relay sends the whole batch and waits for
 * every ack against one deadline, and only then marks the records processed. While Kafka is away
 * the batch is retried with full-jitter backoff, and the engine, whose handler does not return,
 * stops reading the slot: the WAL waits, nothing is lost. A relay that dies after the acks and
 * before its next offset commit is restarted from the last committed offset and sends the events
 * since then again — duplicates the consumer's inbox absorbs. The log delivers transactions in
 * commit order and one engine publishes them in that order, with the aggregate id as the key, so
 * each aggregate's events keep their order in Kafka.
 *
 * <p>The relay does not delete outbox rows (the log has them, and the publication ignores deletes):
 * delete them in the writer's transaction right after the insert, as Debezium's outbox blog does,
 * or in batches by age, or drop old partitions of a partitioned outbox.
 */
public final class CdcRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CdcRelay.class);
    /** A slot name PostgreSQL takes that is also an unquoted identifier, since the publication gets the same name. */
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Duration INITIAL_BACKOFF = Duration.ofMillis(50);

    /** A point where a test can crash the relay: the process dying after Kafka acknowledged a batch, before its offsets. */
    public interface Hooks {

        /** No hooks: what production code passes. */
        Hooks NONE = new Hooks() { };

        default void afterAcks(List<PendingEvent> published) {
        }
    }

    /** A failed batch (Kafka unavailable or slow): when, and why. */
    public record Failure(Instant at, Throwable cause) {
    }

    /**
     * What {@code pg_replication_slots} says about a slot: whether a relay is streaming from it, its
     * {@code wal_status} ({@code reserved}, {@code extended}, {@code unreserved}, {@code lost}) and how
     * much WAL it holds back (from its {@code restart_lsn} to the current position).
     */
    public record SlotState(boolean active, String walStatus, long retainedBytes) {
    }

    private final DataSource dataSource;
    private final Properties engineProperties;
    private final String slot;
    private final EventPublisher publisher;
    private final IntervalFunction backoff;
    private final Hooks hooks;
    private final LongAdder published = new LongAdder();
    private final LongAdder failedBatches = new LongAdder();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Failure lastFailure;
    private volatile Throwable engineError;
    private volatile boolean closing;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private Thread thread;

    /** Checks the topic, ack timeout and backoff cap (through the classes that use them) before it creates anything. */
    private CdcRelay(Builder builder) {
        this.dataSource = builder.dataSource;
        this.slot = builder.slot;
        this.publisher = new EventPublisher(builder.producers, builder.topic, builder.ackTimeout);
        this.backoff = new FullJitterBackoff(INITIAL_BACKOFF, 2.0, builder.maxBackoff);
        this.hooks = builder.hooks;
        this.engineProperties = engineProperties(builder, builder.offsets == null ? temporaryOffsets(builder.slot) : builder.offsets);
    }

    private static Path temporaryOffsets(String slot) {
        try {
            return Files.createTempDirectory("cdc-relay-" + slot + "-").resolve("offsets.dat");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /** Debezium's PostgreSQL connector, reading only the outbox's inserts, and the Outbox Event Router mapping our columns. */
    private static Properties engineProperties(Builder builder, Path offsets) {
        Properties p = new Properties();
        p.setProperty("name", "outbox-cdc-" + builder.slot);
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("database.hostname", builder.host);
        p.setProperty("database.port", Integer.toString(builder.port));
        p.setProperty("database.dbname", builder.database);
        p.setProperty("database.user", builder.user);
        p.setProperty("database.password", Objects.toString(builder.password, ""));
        p.setProperty("topic.prefix", "outbox-cdc");
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", builder.slot);
        p.setProperty("publication.name", builder.slot);
        p.setProperty("publication.autocreate.mode", "disabled");         // the relay creates it: inserts only
        p.setProperty("table.include.list", "public.outbox");
        // After PostgreSQL restarts, the connector's task is restarted after this wait, again and again until the server answers:
        // Debezium's 10 s default adds up to 10 s to every database restart.
        p.setProperty("retriable.restart.connector.wait.ms", "1000");
        // How often the connection reports its position to the walsender (default 10 s). A shutting-down server waits for its
        // walsenders, and a logical one waits for the client's report: the default held a fast shutdown for about 10 s.
        p.setProperty("status.update.interval.ms", "1000");
        // region cdc-engine
        // No snapshot at all: rows already in the outbox are not events to replay (the slot holds what is pending), and
        // without offsets the first start streams from the slot's confirmed position.
        p.setProperty("snapshot.mode", "configuration_based");
        p.setProperty("snapshot.mode.configuration.based.snapshot.data", "false");
        p.setProperty("snapshot.mode.configuration.based.snapshot.schema", "false");
        p.setProperty("snapshot.mode.configuration.based.start.stream", "true");
        p.setProperty("poll.interval.ms", Long.toString(builder.pollInterval.toMillis()));
        p.setProperty("slot.retry.delay.ms", "500");                       // a restarted relay waits for its old walsender
        p.setProperty("slot.max.retries", "60");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        p.setProperty("offset.storage.file.filename", offsets.toString());
        p.setProperty("offset.flush.interval.ms", Long.toString(builder.offsetFlushInterval.toMillis()));
        p.setProperty("transforms", "outbox");
        p.setProperty("transforms.outbox.type", "io.debezium.transforms.outbox.EventRouter");
        p.setProperty("transforms.outbox.table.field.event.id", "event_id");
        p.setProperty("transforms.outbox.table.field.event.key", "aggregate_id");
        p.setProperty("transforms.outbox.table.field.event.payload", "payload");
        p.setProperty("transforms.outbox.table.fields.additional.placement", "event_type:header,id:header:outbox_id");
        p.setProperty("transforms.outbox.route.by.field", "aggregate_type");
        p.setProperty("transforms.outbox.route.topic.replacement", builder.topic);
        // endregion
        return p;
    }

    /**
     * Creates the publication and the slot if they are missing, then starts the engine on its own
     * thread. Returns at once; the events committed since the slot's creation follow.
     *
     * @throws SlotInvalidatedException if the slot exists but PostgreSQL has invalidated it: nothing is started
     * @throws PublicationMissingException if the slot exists without its publication: nothing is started
     */
    public synchronized void start() throws SQLException {
        if (engine != null) {
            throw new IllegalStateException("cdc relay: already started");
        }
        prepare();
        SlotState state = slotState().orElseThrow(() -> new IllegalStateException("cdc relay: slot " + slot + " vanished"));
        if ("lost".equals(state.walStatus())) {
            throw new SlotInvalidatedException("cdc relay: replication slot " + slot + " was invalidated (wal_status = lost): the WAL it"
                    + " needed was removed (max_slot_wal_keep_size). Drop it and create a new one; the events committed since the last"
                    + " published one are no longer in the log");
        }
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(engineProperties)
                .using((success, message, error) -> {
                    if (!success && !closing) {
                        engineError = error == null ? new IllegalStateException(message) : error;
                        LOG.error("cdc relay {}: the engine stopped: {}", slot, message, error);
                    }
                    stopped.countDown();
                })
                .notifying(this::handleBatch)
                .build();
        thread = Thread.ofPlatform().name("cdc-relay-" + slot).daemon().start(engine);
    }

    /**
     * Creates the publication and the replication slot if they are missing, the publication first:
     * from the slot's creation on, every committed insert into the outbox is kept for this relay,
     * whether it runs or not.
     *
     * @throws PublicationMissingException if the slot exists without its publication: nothing is created
     */
    public void prepare() throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            boolean slotExists = exists(connection, "SELECT 1 FROM pg_replication_slots WHERE slot_name = ?");
            if (!exists(connection, "SELECT 1 FROM pg_publication WHERE pubname = ?")) {
                if (slotExists) {
                    throw new PublicationMissingException("cdc relay: replication slot " + slot + " exists but publication " + slot
                            + " does not; one created now would not cover the inserts the slot already holds. Re-publish the outbox"
                            + " rows written since the slot's creation after creating it, or drop the slot");
                }
                statement.execute("CREATE PUBLICATION " + slot + " FOR TABLE outbox WITH (publish = 'insert')");
            }
            if (!slotExists) {
                try (PreparedStatement create = connection.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
                    create.setString(1, slot);
                    create.execute();
                }
            }
        }
    }

    private boolean exists(Connection connection, String sql) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setString(1, slot);
            try (ResultSet row = query.executeQuery()) {
                return row.next();
            }
        }
    }

    /** Publishes one batch of routed events; returns only once Kafka acknowledged all of it, or when the relay closes. */
    private void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
        List<PendingEvent> events = new ArrayList<>(records.size());
        for (RecordChangeEvent<SourceRecord> record : records) {
            if (record.record().value() != null) {
                events.add(event(record.record()));
            }
        }
        for (int attempt = 1; !events.isEmpty(); attempt++) {
            try {
                publisher.publish(events);
                break;
            } catch (RelayException | KafkaException e) {
                failedBatches.increment();
                lastFailure = new Failure(Instant.now(), e);
                long wait = backoff.apply(attempt);
                LOG.warn("cdc relay {}: batch of {} failed ({} in a row); retrying in {} ms: {}", slot, events.size(), attempt, wait,
                        e.toString());
                if (closing) {
                    throw new InterruptedException("cdc relay closed while Kafka was failing; the batch stays in the slot");
                }
                Thread.sleep(wait);
            }
        }
        hooks.afterAcks(events);
        for (RecordChangeEvent<SourceRecord> record : records) {
            committer.markProcessed(record);
        }
        committer.markBatchFinished();
        published.add(events.size());
    }

    /** The event the router made of an outbox insert: key = aggregate id, value = payload, the rest in headers. */
    private static PendingEvent event(SourceRecord record) {
        return new PendingEvent(((Number) header(record, "outbox_id")).longValue(), UUID.fromString(header(record, "id").toString()),
                String.valueOf(record.key()), header(record, "event_type").toString(), String.valueOf(record.value()));
    }

    private static Object header(SourceRecord record, String name) {
        Header header = record.headers().lastWithName(name);
        if (header == null || header.value() == null) {
            throw new IllegalStateException("the outbox event router gave no " + name + " header: " + record);
        }
        return header.value();
    }

    /** Events published (acknowledged by Kafka) by this relay. */
    public long published() {
        return published.sum();
    }

    /** Batches that failed (Kafka unavailable or slow) and were retried after a backoff. */
    public long failedBatches() {
        return failedBatches.sum();
    }

    /** The most recent failed batch, if any: for a health check. */
    public Optional<Failure> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /** Why the engine stopped by itself, if it did (a crashed handler, a slot it could not use): the relay must be restarted. */
    public Optional<Throwable> engineError() {
        return Optional.ofNullable(engineError);
    }

    /** Waits until the engine has stopped, by itself or by {@link #close()}; whether it did within {@code timeout}. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String slot() {
        return slot;
    }

    /** The slot's state now, or empty if it does not exist. */
    public Optional<SlotState> slotState() throws SQLException {
        return slotState(dataSource, slot);
    }

    /** What an alert on a replication slot reads: active, {@code wal_status} and retained WAL. */
    public static Optional<SlotState> slotState(DataSource dataSource, String slot) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT active, wal_status,"
                     + " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint"
                     + " FROM pg_replication_slots WHERE slot_name = ?")) {
            query.setString(1, slot);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? Optional.of(new SlotState(row.getBoolean(1), row.getString(2), row.getLong(3))) : Optional.empty();
            }
        }
    }

    /**
     * Stops the engine (it commits the offsets of what Kafka acknowledged) and closes the producer.
     * The slot stays: it keeps every later insert for the next start, and retains WAL until then.
     */
    @Override
    public synchronized void close() {
        closing = true;
        try {
            if (engine != null) {
                closeEngine();
            }
            if (thread != null) {
                thread.join(Duration.ofSeconds(30));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cdc relay " + slot + ": the engine did not stop cleanly", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            publisher.close();
        }
    }

    private void closeEngine() throws IOException {
        try {
            engine.close();
        } catch (IllegalStateException stopping) {
            // The engine stopped, or is stopping, by itself (a failed batch, a slot it could not use): nothing to close.
        }
    }

    /**
     * Drops the slot and the publication: for a relay that is retired, never for one that will come
     * back (the events committed meanwhile would be lost). Waits up to 30 s for the slot's walsender
     * to exit after {@link #close()}.
     */
    public void dropSlot() throws SQLException {
        dropSlot(dataSource, slot);
    }

    /** Drops a slot (waiting for it to become inactive) and its publication of the same name; nothing if absent. */
    public static void dropSlot(DataSource dataSource, String slot) throws SQLException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Optional<SlotState> state = slotState(dataSource, slot);
        while (state.isPresent() && state.get().active() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            state = slotState(dataSource, slot);
        }
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            if (state.isPresent()) {
                try (PreparedStatement drop = connection.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                    drop.setString(1, slot);
                    drop.execute();
                }
            }
            statement.execute("DROP PUBLICATION IF EXISTS " + slot);
        }
    }

    /** Configures a {@link CdcRelay}: the connection, the producer factory and the topic are required. */
    public static final class Builder {

        private final DataSource dataSource;
        private String host;
        private int port;
        private String database;
        private String user;
        private String password;
        private Supplier<? extends Producer<String, String>> producers;
        private String topic;
        private String slot = "outbox_relay";
        private Path offsets;
        private Duration ackTimeout = Duration.ofSeconds(5);
        private Duration offsetFlushInterval = Duration.ofSeconds(1);
        private Duration pollInterval = Duration.ofMillis(5);
        private Duration maxBackoff = Duration.ofSeconds(1);
        private Hooks hooks = Hooks.NONE;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /** Where the connector streams from: a role with the REPLICATION attribute (or a superuser). */
        public Builder connection(String host, int port, String database, String user, String password) {
            this.host = host;
            this.port = port;
            this.database = database;
            this.user = user;
            this.password = password;
            return this;
        }

        /** Makes the relay's own producer, now and after a timed-out batch (idempotent, {@code acks=all}, {@code linger.ms=0}). */
        public Builder producers(Supplier<? extends Producer<String, String>> producers) {
            this.producers = Objects.requireNonNull(producers, "producers");
            return this;
        }

        public Builder topic(String topic) {
            this.topic = topic;
            return this;
        }

        /**
         * The replication slot's name, also the publication's (default {@code outbox_relay}): up to 63 lower-case letters, digits
         * and underscores, not starting with a digit (the publication's name is an unquoted identifier).
         */
        public Builder slot(String slot) {
            this.slot = slot;
            return this;
        }

        /**
         * The offset file, created at the first commit (default: one in a new temporary directory, so that a new
         * process starts from the position the slot confirmed, which is the last position committed).
         */
        public Builder offsets(Path offsets) {
            this.offsets = offsets;
            return this;
        }

        /** How long a batch waits for Kafka's acks (default 5 s) before it is retried with a fresh producer. */
        public Builder ackTimeout(Duration ackTimeout) {
            this.ackTimeout = ackTimeout;
            return this;
        }

        /** How often acknowledged positions are committed and confirmed to the slot (default 1 s): what a crash sends again. */
        public Builder offsetFlushInterval(Duration offsetFlushInterval) {
            this.offsetFlushInterval = offsetFlushInterval;
            return this;
        }

        /** How long the connector waits for changes before it looks again (default 5 ms; Debezium's own default is 500 ms). */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = pollInterval;
            return this;
        }

        /** The cap of the backoff between retries of a failed batch (default 1 s). */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
            return this;
        }

        /** Test hooks (default {@link Hooks#NONE}). */
        public Builder hooks(Hooks hooks) {
            this.hooks = Objects.requireNonNull(hooks, "hooks");
            return this;
        }

        /**
         * Checks every setting before anything is created (the offset directory, a producer: none is made here).
         *
         * @throws IllegalArgumentException for a port outside 1–65535, a slot name that is not a lower-case identifier, a blank
         *                                  topic, a non-positive ack timeout, flush or poll interval, a backoff cap below 50 ms
         * @throws IllegalStateException    if the connection or the producer factory was not set
         */
        public CdcRelay build() {
            if (host == null || host.isBlank() || database == null || database.isBlank() || user == null || user.isBlank()) {
                throw new IllegalStateException("cdc relay: set connection(host, port, database, user, password)");
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("cdc relay: port must be 1 to 65535, got " + port);
            }
            if (producers == null) {
                throw new IllegalStateException("cdc relay: set producers(factory)");
            }
            if (slot == null || !SLOT_NAME.matcher(slot).matches()) {
                throw new IllegalArgumentException("cdc relay: slot must be 1 to 63 lower-case letters, digits or underscores, not starting"
                        + " with a digit, got '" + slot + "'");
            }
            requirePositive("offsetFlushInterval", offsetFlushInterval);
            requirePositive("pollInterval", pollInterval);
            if (maxBackoff == null) {
                throw new IllegalArgumentException("cdc relay: maxBackoff must be set");
            }
            return new CdcRelay(this);
        }

        private static void requirePositive(String setting, Duration interval) {
            if (interval == null || interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("cdc relay: " + setting + " must be positive, got " + interval);
            }
        }
    }
}
