package dev.backendlabs.pooling;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.regex.Pattern;

/**
 * Runs database work as one tenant: the tenant id goes into the session variable
 * {@code app.tenant_id}, which row-level security policies and auditing read with
 * {@code current_setting('app.tenant_id', true)}. How it is set decides whether it can reach
 * another client when a pooler such as PgBouncer hands server sessions from client to client.
 */
public interface TenantScope {

    /** The name of the setting the tenant goes into. */
    String SETTING = "app.tenant_id";

    /** Work inside the tenant's transaction. */
    @FunctionalInterface
    interface Work<T> {
        T apply(Connection connection) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction as {@code tenant}.
     *
     * @throws IllegalArgumentException if the tenant id is not 1–64 letters, digits, '-' or '_'; nothing runs
     */
    <T> T inTenant(Connection connection, String tenant, Work<T> work) throws SQLException;

    /** Refuses a tenant id that is empty, too long or has characters outside {@code [A-Za-z0-9_-]}. */
    static String checkedTenant(String tenant) {
        if (tenant == null || !Pattern.matches("[A-Za-z0-9_-]{1,64}", tenant)) {
            throw new IllegalArgumentException("Invalid tenant id '" + tenant + "': use 1 to 64 letters, digits, '-' or '_'");
        }
        return tenant;
    }
}
