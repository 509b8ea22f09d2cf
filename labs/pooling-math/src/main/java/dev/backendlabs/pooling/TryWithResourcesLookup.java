package dev.backendlabs.pooling;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.OptionalLong;

/**
 * THE PATTERN: the connection, statement and result set are resources of a try-with-resources
 * block, so every way out of the method — the early return, an exception — closes them in reverse
 * order and the connection goes back to the pool.
 */
public final class TryWithResourcesLookup implements BalanceLookup {

    private final DataSource dataSource;

    public TryWithResourcesLookup(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    // region no-leak
    @Override
    public OptionalLong balance(int accountId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT abalance FROM pgbench_accounts WHERE aid = ?")) {
            select.setInt(1, accountId);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? OptionalLong.of(rows.getLong(1)) : OptionalLong.empty();
            }
        }
    }
    // endregion
}
