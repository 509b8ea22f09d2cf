package dev.backendlabs.pooling;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * THE PATTERN: sets the tenant inside the transaction ({@code SET LOCAL app.tenant_id}, here as
 * {@code set_config(…, true)}), so the setting ends with the transaction.
 *
 * <p>A transaction runs on one server session even behind PgBouncer in transaction mode, so the
 * work sees the tenant, and the next client of that server session does not: at commit or
 * rollback PostgreSQL drops the setting. The same holds for every session-level state behind a
 * transaction pooler: {@code SET LOCAL}, {@code pg_advisory_xact_lock}, {@code ON COMMIT DROP}.
 */
public final class TransactionScopedTenant implements TenantScope {

    @Override
    public <T> T inTenant(Connection connection, String tenant, Work<T> work) throws SQLException {
        String checked = TenantScope.checkedTenant(tenant);
        connection.setAutoCommit(false);
        try {
            // region local-set
            try (PreparedStatement set = connection.prepareStatement("SELECT set_config('" + SETTING + "', ?, true)")) {
                set.setString(1, checked);
                set.execute();                              // inside the transaction: gone at commit
            }
            // endregion
            T result = work.apply(connection);
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        }
    }
}
