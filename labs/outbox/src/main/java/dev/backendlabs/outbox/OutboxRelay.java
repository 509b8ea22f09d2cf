package dev.backendlabs.outbox;

import org.apache.kafka.clients.producer.Producer;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
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
 * of the aggregate id ({@link OutboxWriter#partitionOf}), and a relay claims rows from a
 * partition only while it holds that partition's transaction-level advisory lock. Another relay
 * skips a locked partition and takes the next free one; when the batch commits, the lock is
 * released and any relay may continue the partition from where it stopped. Within a partition,
 * batches are therefore strictly sequential and in id order. A batch may span several partitions
 * (a relay keeping up with a trickle of events gathers them all into one send and one commit), but
 * it takes a partition's rows only while it holds that partition's lock, oldest first.
 *
 * <h2>Why {@code FOR UPDATE NOWAIT}, not {@code SKIP LOCKED}, inside the partition lock</h2>
 * Holding the partition's advisory lock, a relay has no other relay to skip: a row lock it meets
 * belongs to something else — a cleanup job, an admin's transaction, an older relay build during a
 * rolling deploy. {@code SKIP LOCKED} would step over that row and publish the rows behind it, so
 * the locked row's aggregate would be reordered. The claim is {@code FOR UPDATE NOWAIT} instead:
 * it locks the partition's oldest rows or fails at once with {@code lock_not_available}. On that
 * failure the relay undoes that partition's claim (the whole transaction if it has claimed nothing
 * yet, else back to a savepoint taken before the claim), counts a
 * {@linkplain #rowLockConflicts() row-lock conflict} and goes on with the next partition. That is
 * the back-off: the blocked partition is tried again only after the relay's round robin has come
 * back to it, on a later pass.
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
     * Fills the batch from as many partitions as it takes, round-robin from where the last pass
     * stopped: for each partition that has rows and whose lock it gets, it claims the partition's
     * oldest rows, up to what the batch still has room for. One round trip finds the partitions
     * that have rows, so a pass over a trickle does not ask every partition in turn. A partition is
     * locked only when it has rows (checked again in the lock's round trip, as another relay may
     * have emptied it meanwhile), so a relay never holds the locks of empty partitions and
     * makes other relays skip them; and a partition is left as soon as the batch is full, so a relay
     * facing a deep backlog holds one partition per pass, as before, while a relay keeping up with a
     * trickle gathers every partition's few rows into one batch, one send and one commit.
     *
     * <p>Once rows are claimed, each further partition's claim runs under a savepoint, so that a
     * foreign row lock there ({@code NOWAIT} failing) is rolled back alone and the rows already
     * claimed stay claimed. That partition's advisory lock, taken before the savepoint, is held
     * until the pass commits: other relays skip a partition they could not serve anyway.
     */
    @Override
    protected List<PendingEvent> claim(Connection connection, int limit) throws SQLException {
        List<PendingEvent> claimed = new ArrayList<>();
        try (PreparedStatement nonEmpty = connection.prepareStatement("SELECT coalesce(array_agg(p), '{}') FROM generate_series(0, ? - 1) p"
                + " WHERE EXISTS (SELECT 1 FROM outbox WHERE partition_no = p)");
             PreparedStatement lock = connection.prepareStatement("SELECT CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE partition_no = ?)"
                + " THEN pg_try_advisory_xact_lock(?, ?) ELSE false END");
             PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM outbox WHERE partition_no = ?"
                     + " ORDER BY id LIMIT ? FOR UPDATE NOWAIT")) {
            Set<Integer> withRows = partitionsWithRows(nonEmpty);
            int start = next;
            for (int i = 0; i < partitions && claimed.size() < limit; i++) {
                int partition = (start + i) % partitions;
                if (!withRows.contains(partition)) {
                    continue;
                }
                lock.setInt(1, partition); // checked again: another relay may have emptied it since
                lock.setInt(2, LOCK_NAMESPACE);
                lock.setInt(3, partition);
                if (!isTrue(lock)) {
                    continue;
                }
                Savepoint savepoint = claimed.isEmpty() ? null : connection.setSavepoint();
                select.setInt(1, partition);
                select.setInt(2, limit - claimed.size());
                try {
                    claimed.addAll(read(select));
                } catch (SQLException e) {
                    if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                        throw e;
                    }
                    if (savepoint == null) {
                        connection.rollback(); // nothing claimed yet: the transaction held only this partition's lock
                    } else {
                        connection.rollback(savepoint); // keeps the rows claimed so far, and this partition's lock until commit
                    }
                    rowLockConflicts.increment();
                    continue;
                }
                if (savepoint != null) {
                    connection.releaseSavepoint(savepoint);
                }
                next = (partition + 1) % partitions;
            }
        }
        return claimed;
    }

    /** The partitions that have rows, found in one round trip (an index probe per partition on the server). */
    private Set<Integer> partitionsWithRows(PreparedStatement nonEmpty) throws SQLException {
        nonEmpty.setInt(1, partitions);
        try (ResultSet row = nonEmpty.executeQuery()) {
            row.next();
            Set<Integer> withRows = new HashSet<>();
            for (Integer partition : (Integer[]) row.getArray(1).getArray()) {
                withRows.add(partition);
            }
            return withRows;
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
