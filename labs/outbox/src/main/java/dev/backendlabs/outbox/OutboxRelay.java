package dev.backendlabs.outbox;

import org.apache.kafka.clients.producer.Producer;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * THE PATTERN, relay side: several relays may run at once, and each aggregate's events still
 * reach Kafka in the order they were written.
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
 * <p>Id order is the write order of an aggregate's events when its writers serialize on the
 * aggregate (they update its row, or each event is its own aggregate as with {@code OrderPlaced});
 * two concurrent transactions appending to one aggregate could commit out of id order.
 */
public final class OutboxRelay extends BatchRelay {

    /** First key of the two-key advisory lock; the second is the partition. */
    static final int LOCK_NAMESPACE = 0x0B0C;

    private final int partitions;
    private int next;

    /**
     * @param writer the writer whose partitioning this relay follows: both must agree on the number
     *               of partitions, or rows land in partitions no relay looks at
     */
    public OutboxRelay(DataSource dataSource, Producer<String, String> producer, String topic, OutboxWriter writer, int batchSize,
                       Duration ackTimeout, Hooks hooks) {
        super(dataSource, producer, topic, batchSize, ackTimeout, hooks);
        this.partitions = writer.partitions();
    }

    /**
     * Tries partitions round-robin and claims from the first one that has rows and whose lock it
     * gets. Emptiness is checked before locking, so a relay does not hold the locks of empty
     * partitions (until its commit) and make other relays skip them.
     */
    @Override
    protected List<PendingEvent> claim(Connection connection, int limit) throws SQLException {
        try (PreparedStatement pending = connection.prepareStatement("SELECT EXISTS (SELECT 1 FROM outbox WHERE partition_no = ?)");
             PreparedStatement lock = connection.prepareStatement("SELECT pg_try_advisory_xact_lock(?, ?)");
             PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM outbox WHERE partition_no = ?"
                     + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED")) {
            for (int i = 0; i < partitions; i++) {
                int partition = (next + i) % partitions;
                pending.setInt(1, partition);
                lock.setInt(1, LOCK_NAMESPACE);
                lock.setInt(2, partition);
                if (!isTrue(pending) || !isTrue(lock)) {
                    continue;
                }
                select.setInt(1, partition);
                select.setInt(2, limit);
                List<PendingEvent> rows = read(select);
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
}
