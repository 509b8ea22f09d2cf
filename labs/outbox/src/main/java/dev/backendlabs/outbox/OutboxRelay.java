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
 */
public final class OutboxRelay extends BatchRelay {

    /** First key of the two-key advisory lock; the second is the partition. */
    static final int LOCK_NAMESPACE = 0x0B0C;

    private final int partitions;
    private int next;

    public OutboxRelay(DataSource dataSource, Producer<String, String> producer, String topic, int partitions, int batchSize,
                       Duration ackTimeout, Hooks hooks) {
        super(dataSource, producer, topic, batchSize, ackTimeout, hooks);
        this.partitions = partitions;
    }

    /** Tries partitions round-robin; claims from the first one it can lock that has rows. */
    @Override
    protected List<PendingEvent> claim(Connection connection, int limit) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_try_advisory_xact_lock(?, ?)");
             PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM outbox WHERE partition_no = ?"
                     + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED")) {
            for (int i = 0; i < partitions; i++) {
                int partition = (next + i) % partitions;
                lock.setInt(1, LOCK_NAMESPACE);
                lock.setInt(2, partition);
                try (ResultSet locked = lock.executeQuery()) {
                    locked.next();
                    if (!locked.getBoolean(1)) {
                        continue;
                    }
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
}
