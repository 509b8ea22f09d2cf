package dev.backendlabs.outbox;

import org.apache.kafka.clients.producer.Producer;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * THE PATTERN, relay side: several relays may run at once, and each aggregate's events still
 * reach Kafka in the order they were written.
 *
 * <pre>{@code
 * try (OutboxRelay relay = OutboxRelay.builder(dataSource, writer)
 *         .producers(() -> new KafkaProducer<>(properties))   // linger.ms=0, acks=all, idempotent
 *         .topic("orders")
 *         .batchSize(100)
 *         .ackTimeout(Duration.ofSeconds(5))
 *         .build()) {
 *     relay.publishBatch();
 * }
 * }</pre>
 *
 * <p>Why plain {@code FOR UPDATE SKIP LOCKED} is not enough: two relays claim consecutive batches,
 * and the second may publish before the first — an aggregate with events in both batches is
 * reordered ({@link SkipLockedRelay} shows it). Here the outbox is split into partitions by a hash
 * of the aggregate id ({@link OutboxWriter#partitionOf}), and a relay claims a batch from one
 * partition only while it holds that partition's transaction-level advisory lock. Another relay
 * skips a locked partition and takes the next free one; when the batch commits, the lock is
 * released and any relay may continue the partition from where it stopped. Within a partition,
 * batches are therefore strictly sequential and in id order.
 *
 * <h2>Why {@code FOR UPDATE NOWAIT}, not {@code SKIP LOCKED}, inside the partition lock</h2>
 * Holding the partition's advisory lock, a relay has no other relay to skip: a row lock it meets
 * belongs to something else — a cleanup job, an admin's transaction, an older relay build during a
 * rolling deploy. {@code SKIP LOCKED} would step over that row and publish the rows behind it, so
 * the locked row's aggregate would be reordered. The claim is {@code FOR UPDATE NOWAIT} instead:
 * it locks the partition's oldest rows or fails at once with {@code lock_not_available}. On that
 * failure the relay rolls its transaction back (it has claimed nothing yet; the rollback releases
 * the partition lock too), counts a {@linkplain #rowLockConflicts() row-lock conflict} and goes on
 * with the next partition in a fresh transaction. That is the back-off: the blocked partition is
 * tried again only after the relay's round robin has come back to it — after the other partitions
 * with rows, or, if it is the only one, on the next pass after the runner's idle poll.
 *
 * <p>Plain {@code FOR UPDATE} with a {@code lock_timeout} was the alternative: it would take the
 * row the moment the foreign lock goes, but the relay would sit inside its transaction for up to
 * the timeout, serving no other partition, at the mercy of a transaction it does not control.
 *
 * <p>Against other relays, {@code NOWAIT} alone would also keep the order (it fails on another
 * relay's claimed rows as on any lock). The advisory lock is still worth its round trip: relays
 * skip each other's partitions with a cheap try-lock instead of a failed statement and a rollback,
 * and a {@code NOWAIT} failure then always means a foreign lock — {@link #rowLockConflicts()} is a
 * clean signal that something outside the relays holds outbox rows.
 *
 * <p>Id order is the write order of an aggregate's events when its writers serialize on the
 * aggregate (they update its row, or each event is its own aggregate as with {@code OrderPlaced});
 * two concurrent transactions appending to one aggregate could commit out of id order.
 */
public final class OutboxRelay extends BatchRelay {

    /** First key of the two-key advisory lock; the second is the partition. */
    static final int LOCK_NAMESPACE = 0x0B0C;
    /** SQLSTATE of {@code FOR UPDATE NOWAIT} meeting a row another transaction has locked. */
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    private final int partitions;
    private final LongAdder rowLockConflicts = new LongAdder();
    private int next;

    private OutboxRelay(Builder builder) {
        super(builder.dataSource, builder.producers, builder.topic, builder.batchSize, builder.ackTimeout, builder.hooks);
        this.partitions = builder.writer.partitions();
    }

    /**
     * @param writer the writer whose partitioning this relay follows: both must agree on the number
     *               of partitions, or rows land in partitions no relay looks at
     */
    public static Builder builder(DataSource dataSource, OutboxWriter writer) {
        return new Builder(dataSource, writer);
    }

    /**
     * Tries partitions round-robin and claims from the first one that has rows and whose lock it
     * gets. Emptiness is checked before locking, so a relay does not hold the locks of empty
     * partitions (until its commit) and make other relays skip them.
     */
    @Override
    protected List<PendingEvent> claim(Connection connection, int limit) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("SELECT CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE partition_no = ?)"
                + " THEN pg_try_advisory_xact_lock(?, ?) ELSE false END");
             PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM outbox WHERE partition_no = ?"
                     + " ORDER BY id LIMIT ? FOR UPDATE NOWAIT")) {
            for (int i = 0; i < partitions; i++) {
                int partition = (next + i) % partitions;
                lock.setInt(1, partition);
                lock.setInt(2, LOCK_NAMESPACE);
                lock.setInt(3, partition);
                if (!isTrue(lock)) {
                    continue;
                }
                select.setInt(1, partition);
                select.setInt(2, limit);
                List<PendingEvent> rows;
                try {
                    rows = read(select);
                } catch (SQLException e) {
                    if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                        throw e;
                    }
                    connection.rollback(); // the failed statement aborted the transaction; it held nothing but partition locks
                    rowLockConflicts.increment();
                    continue;
                }
                if (!rows.isEmpty()) {
                    next = (partition + 1) % partitions;
                    return rows;
                }
            }
            return List.of();
        }
    }

    /** Runs a query whose single row holds a single boolean. */
    private static boolean isTrue(PreparedStatement query) throws SQLException {
        try (ResultSet row = query.executeQuery()) {
            row.next();
            return row.getBoolean(1);
        }
    }

    /** Claims that met a row locked by another transaction and left that partition for later: alert if it keeps climbing. */
    public long rowLockConflicts() {
        return rowLockConflicts.sum();
    }

    /** Configures an {@link OutboxRelay}: the producer factory and the topic are required. */
    public static final class Builder {

        private final DataSource dataSource;
        private final OutboxWriter writer;
        private Supplier<? extends Producer<String, String>> producers;
        private String topic;
        private int batchSize = 100;
        private Duration ackTimeout = Duration.ofSeconds(5);
        private Hooks hooks = Hooks.NONE;

        private Builder(DataSource dataSource, OutboxWriter writer) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            this.writer = Objects.requireNonNull(writer, "writer");
        }

        /** Makes the relay's own producer, now and after a timed-out batch; see {@link BatchRelay} for its settings. */
        public Builder producers(Supplier<? extends Producer<String, String>> producers) {
            this.producers = Objects.requireNonNull(producers, "producers");
            return this;
        }

        public Builder topic(String topic) {
            this.topic = topic;
            return this;
        }

        /** Rows per transaction (default 100): most of the throughput gain is reached by 100. */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** How long a pass waits for Kafka to acknowledge its batch (default 5 s); the rows stay locked that long at most. */
        public Builder ackTimeout(Duration ackTimeout) {
            this.ackTimeout = ackTimeout;
            return this;
        }

        /** Test hooks (default {@link Hooks#NONE}). */
        public Builder hooks(Hooks hooks) {
            this.hooks = hooks;
            return this;
        }

        /**
         * @throws IllegalArgumentException for a blank topic, a batch size below 1 or a non-positive ack timeout
         * @throws IllegalStateException    if no producer factory was set
         */
        public OutboxRelay build() {
            if (producers == null) {
                throw new IllegalStateException("relay: set producers(factory)");
            }
            return new OutboxRelay(this);
        }
    }
}
