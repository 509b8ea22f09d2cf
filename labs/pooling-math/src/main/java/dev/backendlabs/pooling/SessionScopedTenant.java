package dev.backendlabs.pooling;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * NAIVE: sets the tenant for the session ({@code SET app.tenant_id}, here as
 * {@code set_config(…, false)}, its parameterised form), then runs the transaction.
 *
 * <p>On a direct connection the setting lives as long as the connection and the next request on
 * it overwrites it. Behind PgBouncer in transaction mode the client's "session" is a different
 * server session from one transaction to the next: the {@code SET} stays on the server session
 * it ran on, and the next client that PgBouncer gives that server session reads this tenant's id —
 * a row-level security policy keyed on it then shows that client another tenant's rows.
 */
public final class SessionScopedTenant implements TenantScope {

    @Override
    public <T> T inTenant(Connection connection, String tenant, Work<T> work) throws SQLException {
        String checked = TenantScope.checkedTenant(tenant);
        connection.setAutoCommit(true);
        // region session-set
        try (PreparedStatement set = connection.prepareStatement("SELECT set_config('" + SETTING + "', ?, false)")) {
            set.setString(1, checked);
            set.execute();                                  // its own transaction: the setting outlives it
        }
        connection.setAutoCommit(false);
        // endregion
        try {
            T result = work.apply(connection);
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        }
    }
}
