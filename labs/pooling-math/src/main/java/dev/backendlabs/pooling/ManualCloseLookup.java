package dev.backendlabs.pooling;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.OptionalLong;

/**
 * NAIVE: closes its connection by hand at the end of the happy path. The early return for an
 * account that does not exist skips the {@code close()}, and so would any exception: the
 * connection never goes back to the pool. Each miss leaks one; after {@code maximumPoolSize}
 * misses every caller waits {@code connectionTimeout} and fails, while the database shows the
 * leaked sessions idle.
 */
public final class ManualCloseLookup implements BalanceLookup {

    private final DataSource dataSource;

    public ManualCloseLookup(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    // region leak
    @Override
    public OptionalLong balance(int accountId) throws SQLException {
        Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement("SELECT abalance FROM pgbench_accounts WHERE aid = ?");
        select.setInt(1, accountId);
        ResultSet rows = select.executeQuery();
        if (!rows.next()) {
            return OptionalLong.empty();                  // the connection is never closed
        }
        long balance = rows.getLong(1);
        connection.close();
        return OptionalLong.of(balance);
    }
    // endregion
}
