package dev.backendlabs.pooling;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * NAIVE: reads, makes the remote call and writes in one transaction, the shape of a
 * {@code @Transactional} service method that calls an HTTP client between two queries.
 *
 * <p>The connection is held from the read to the commit, idle in transaction during the call, so
 * the hold time is the call plus the database work: with a 200 ms call and 2 ms of SQL, a pool of
 * 10 serves at most 10 / 0.202 s ≈ 49.5 requests per second while the database does almost
 * nothing; further requests wait for a connection until the pool's timeout. The read's row locks
 * and snapshot are held through the call too.
 */
public final class CallInsideTransaction implements RemoteCallFlow {

    private final DataSource dataSource;

    public CallInsideTransaction(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    // region inside
    @Override
    public <R, T> T execute(SqlStep<Void, R> read, RemoteCall<R, T> call, SqlStep<T, ?> write) throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                R request = read.apply(connection, null);
                T reply = call.call(request);               // the connection waits, idle in transaction
                write.apply(connection, reply);
                connection.commit();
                return reply;
            } catch (Exception e) {
                rollback(connection, e);
                throw e;
            }
        }
    }
    // endregion

    static void rollback(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            cause.addSuppressed(rollbackFailure);
        }
    }
}
