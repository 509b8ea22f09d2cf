package dev.backendlabs.pooling;

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
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prepared statements through PgBouncer in transaction mode. pgjdbc sends a statement unnamed
 * for its first four executions on a connection and names it ({@code S_1}) from the fifth
 * ({@code prepareThreshold=5}, the default), then only binds the name. A named statement lives on
 * the server session that parsed it, and in transaction mode the next transaction may run on
 * another one, or another client's {@code S_1} may already be there. Two clients take turns,
 * one autocommitted execution each: with the default threshold on a PgBouncer without
 * {@code max_prepared_statements} (before 1.21) the first error comes at an execution after the
 * fourth; with {@code prepareThreshold=0} (never named) there is none. A PgBouncer that has
 * {@code max_prepared_statements} (1.21 and later; this run's configuration sets 200) tracks the
 * names itself, and the default threshold works.
 */
@Lab
class PgBouncerPreparedStatementTest {

    private static final int TURNS = 20;
    private static final String SQL = "SELECT abalance FROM pgbench_accounts WHERE aid = ?";

    @Test
    void namedStatementsBreakAfterTheFifthExecutionUnlessUnnamedOrTrackedByPgBouncer(LabReport report) throws Exception {
        PgBouncerBackend pgbouncer = PoolingMathFixture.pgbouncer();
        PoolingMathFixture.workload();
        String url = pgbouncer.jdbcUrl(PoolingMathFixture.NAMESPACE.database());

        Outcome named = takeTurns(pgbouncer, url);
        Outcome unnamed = takeTurns(pgbouncer, url + "?prepareThreshold=0");

        report.table(ReportTable.of("Two clients taking turns through PgBouncer " + pgbouncer.version() + " (transaction mode, "
                        + (pgbouncer.preparedStatements() ? "max_prepared_statements = 200" : "no max_prepared_statements") + "), "
                        + TURNS + " executions each", "prepareThreshold", "errors", "first failing execution", "SQLStates")
                .row("5 (default)", named.errors().size(), named.firstFailure(), String.join(" ", named.states()))
                .row("0 (never named)", unnamed.errors().size(), unnamed.firstFailure(), String.join(" ", unnamed.states())));
        assertThat(unnamed.errors()).as("unnamed statements").isEmpty();
        if (pgbouncer.preparedStatements()) {
            assertThat(named.errors()).as("named statements, tracked by PgBouncer %s", pgbouncer.version()).isEmpty();
        } else {
            assertThat(named.errors()).as("named statements on PgBouncer %s", pgbouncer.version()).isNotEmpty();
            assertThat(named.firstFailure()).as("first failing execution: none while the statement is still unnamed").isGreaterThan(4);
            assertThat(named.states()).as("does not exist / already exists").isSubsetOf("26000", "42P05");
        }
    }

    /**
     * @param errors       the execution numbers (1-based, per client) that failed
     * @param firstFailure the lowest of them, 0 if none
     */
    private record Outcome(List<Integer> errors, int firstFailure, List<String> states) {
    }

    /** Clients A and B alternate, each executing the same statement once per turn on its own connection. */
    private static Outcome takeTurns(PgBouncerBackend pgbouncer, String url) throws SQLException {
        List<Integer> errors = new ArrayList<>();
        List<String> states = new ArrayList<>();
        try (Connection a = DriverManager.getConnection(url, pgbouncer.user(), pgbouncer.password());
             Connection b = DriverManager.getConnection(url, pgbouncer.user(), pgbouncer.password())) {
            for (int execution = 1; execution <= TURNS; execution++) {
                for (Connection client : List.of(a, b)) {
                    try (PreparedStatement select = client.prepareStatement(SQL)) {
                        select.setInt(1, execution);
                        try (ResultSet rows = select.executeQuery()) {
                            rows.next();
                        }
                    } catch (SQLException e) {
                        errors.add(execution);
                        if (!states.contains(e.getSQLState())) {
                            states.add(e.getSQLState());
                        }
                    }
                }
            }
        }
        return new Outcome(errors, errors.stream().mapToInt(Integer::intValue).min().orElse(0), states);
    }
}
