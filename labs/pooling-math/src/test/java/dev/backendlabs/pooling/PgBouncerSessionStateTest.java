package dev.backendlabs.pooling;

import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.PgBouncerBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Session state behind PgBouncer in transaction mode. Client A sets its tenant, then client B —
 * another application connection — runs a transaction that PgBouncer puts on the server session A
 * used (it hands out the most recently used idle one, and both clients take turns alone on a
 * database pool of their own). With {@code SET} (session scope) B reads A's tenant; with
 * {@code SET LOCAL} (transaction scope) it reads nothing.
 */
@Lab
class PgBouncerSessionStateTest {

    /** A database of its own, so that PgBouncer's pool for it holds the one server session both clients share. */
    private static final String DATABASE = PoolingMathFixture.NAMESPACE.database() + "_session_state";
    private static final String READ = "SELECT current_setting('" + TenantScope.SETTING + "', true), pg_backend_pid()";

    @Test
    void aSessionSetLeaksToTheNextClientOfTheServerSessionAndSetLocalDoesNot(LabReport report) throws Exception {
        PgBouncerBackend pgbouncer = PoolingMathFixture.pgbouncer();
        Backends.postgres().createDatabaseIfMissing(DATABASE);
        String url = pgbouncer.jdbcUrl(DATABASE) + "?prepareThreshold=0";

        Seen session = afterTenantA(new SessionScopedTenant(), url, pgbouncer);
        Seen local = afterTenantA(new TransactionScopedTenant(), url, pgbouncer);

        report.table(ReportTable.of("Client B's transaction on the server session client A just used (PgBouncer " + pgbouncer.version()
                        + ", transaction mode)", "client A set its tenant with", "A's server pid", "B's server pid",
                        "B reads app.tenant_id")
                .row("SET (session)", session.aPid(), session.bPid(), String.valueOf(session.bTenant()))
                .row("SET LOCAL (transaction)", local.aPid(), local.bPid(), String.valueOf(local.bTenant())));
        assertThat(session.bPid()).as("B ran on A's server session").isEqualTo(session.aPid());
        assertThat(session.bTenant()).as("B, another client, reads A's tenant").isEqualTo("tenant-a");
        assertThat(local.bPid()).as("B ran on A's server session").isEqualTo(local.aPid());
        assertThat(local.bTenant()).as("after SET LOCAL").isNotEqualTo("tenant-a");
    }

    private record Seen(int aPid, int bPid, String bTenant) {
    }

    private static Seen afterTenantA(TenantScope scope, String url, PgBouncerBackend pgbouncer) throws SQLException {
        try (Connection a = DriverManager.getConnection(url, pgbouncer.user(), pgbouncer.password());
             Connection b = DriverManager.getConnection(url, pgbouncer.user(), pgbouncer.password())) {
            int aPid = scope.inTenant(a, "tenant-a", connection -> read(connection).pid());
            b.setAutoCommit(false);
            Reading seen = read(b);
            b.commit();
            cleanUp(b);
            return new Seen(aPid, seen.pid(), seen.tenant());
        }
    }

    private record Reading(String tenant, int pid) {
    }

    private static Reading read(Connection connection) throws SQLException {
        try (PreparedStatement read = connection.prepareStatement(READ); ResultSet rows = read.executeQuery()) {
            rows.next();
            return new Reading(rows.getString(1), rows.getInt(2));
        }
    }

    /** Resets the leaked setting on the server session B landed on, so that no later client inherits it. */
    private static void cleanUp(Connection connection) throws SQLException {
        connection.setAutoCommit(true);
        try (PreparedStatement reset = connection.prepareStatement("RESET " + TenantScope.SETTING)) {
            reset.execute();
        }
    }
}
