package dev.backendlabs.idempotency;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;

/**
 * Deletes keys older than the retention, in batches of at most 1,000, one short transaction each,
 * oldest first through the {@code created_at} index, skipping rows another transaction holds and keys
 * still under lease. A claim of a new key never waits for it: the reaper only touches old rows, holds
 * them for one batch, and never waits for anyone's lock itself. Payments keep their row when their key
 * goes ({@code ON DELETE SET NULL}). A key reused after it was reaped is a new request, as at Stripe.
 */
public final class KeyReaper {

    /** Stripe prunes keys at least 24 hours old; a client retrying within a day must still find its key. */
    public static final Duration MIN_RETENTION = Duration.ofHours(24);
    public static final int MAX_BATCH = 1_000;

    /** Called before each batch commits, with the batch's rows deleted and locked. */
    @FunctionalInterface
    public interface BatchHook {
        BatchHook NONE = deleted -> { };

        void beforeCommit(int deleted) throws InterruptedException;
    }

    private final DataSource dataSource;
    private final long retentionMillis;
    private final int batchSize;
    private final BatchHook hook;

    /**
     * @param retention at least {@link #MIN_RETENTION}; Brandur keeps 72 hours, "so a Friday bug can be fixed Monday"
     * @param batchSize 1 to {@link #MAX_BATCH} keys per transaction
     * @throws IllegalArgumentException for a shorter retention or a batch size out of range
     */
    public KeyReaper(DataSource dataSource, Duration retention, int batchSize, BatchHook hook) {
        if (retention.compareTo(MIN_RETENTION) < 0) {
            throw new IllegalArgumentException("Keys must be kept at least " + MIN_RETENTION.toHours() + " h, got " + retention);
        }
        if (batchSize < 1 || batchSize > MAX_BATCH) {
            throw new IllegalArgumentException("batch size must be 1 to " + MAX_BATCH + ", got " + batchSize);
        }
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.retentionMillis = retention.toMillis();
        this.batchSize = batchSize;
        this.hook = Objects.requireNonNull(hook, "hook");
    }

    /** Deletes one batch in its own transaction; returns how many keys it deleted. */
    public int reapBatch() throws SQLException, InterruptedException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement delete = connection.prepareStatement(SqlStatements.get("reap"))) {
                delete.setLong(1, retentionMillis);
                delete.setInt(2, batchSize);
                int deleted = delete.executeUpdate();
                hook.beforeCommit(deleted);
                connection.commit();
                return deleted;
            } catch (SQLException | InterruptedException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** Deletes batches until one comes back short: every expired key that no one holds is gone. */
    public long reapAll() throws SQLException, InterruptedException {
        long total = 0;
        int deleted;
        do {
            deleted = reapBatch();
            total += deleted;
        } while (deleted == batchSize);
        return total;
    }
}
