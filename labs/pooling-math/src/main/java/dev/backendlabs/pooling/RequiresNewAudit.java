package dev.backendlabs.pooling;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * NAIVE: writes an audit row in its own transaction, on a second connection borrowed while the
 * first is still held — what Spring's {@code REQUIRES_NEW} does, so that the audit commits even if
 * the business transaction rolls back.
 *
 * <p>Each thread holds two connections at once. With {@code T} threads and a pool smaller than
 * {@code T·(2−1)+1 = T+1} ({@link PoolMath#deadlockFreeMinimum}), all of them can hold their first
 * connection and wait for a second that nobody will return: the pool deadlocks until
 * {@code connectionTimeout} fails them all. The fix is in the code (write the audit on the same
 * connection, or after the first commits) or, if the shape must stay, in the pool size.
 */
public final class RequiresNewAudit {

    /** Called between the two borrows, for tests that line threads up at the worst moment. */
    @FunctionalInterface
    public interface Hook {
        void holdingFirstConnection() throws InterruptedException;
    }

    private final DataSource dataSource;
    private final Hook hook;

    public RequiresNewAudit(DataSource dataSource, Hook hook) {
        this.dataSource = dataSource;
        this.hook = hook;
    }

    /** Adds {@code delta} to the account and records it in the audit log, each in its own transaction. */
    public void transfer(int accountId, int delta) throws SQLException, InterruptedException {
        try (Connection business = dataSource.getConnection()) {
            business.setAutoCommit(false);
            try (PreparedStatement update = business.prepareStatement(
                    "UPDATE pgbench_accounts SET abalance = abalance + ? WHERE aid = ?")) {
                update.setInt(1, delta);
                update.setInt(2, accountId);
                update.executeUpdate();
            }
            hook.holdingFirstConnection();
            try (Connection audit = dataSource.getConnection()) {
                audit.setAutoCommit(true);
                try (PreparedStatement insert = audit.prepareStatement(
                        "INSERT INTO pgbench_history (aid, delta, mtime) VALUES (?, ?, CURRENT_TIMESTAMP)")) {
                    insert.setInt(1, accountId);
                    insert.setInt(2, delta);
                    insert.executeUpdate();
                }
            }
            business.commit();
        }
    }
}
