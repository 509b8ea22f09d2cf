package dev.backendlabs.mvcc;

import org.postgresql.util.PSQLWarning;
import org.postgresql.util.ServerErrorMessage;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@code VACUUM (VERBOSE)} on one table and reads what it did. The server sends the report as
 * INFO notices, which JDBC delivers as {@link SQLWarning}s chained on the statement; pgjdbc keeps a
 * notice's DETAIL apart from its message (PostgreSQL 14 and earlier put the "cannot be removed yet"
 * line there), so both are read.
 */
public final class VacuumVerbose {

    private VacuumVerbose() {
    }

    /**
     * Vacuums {@code table} (not its TOAST table) on {@code connection}, which must be in auto-commit
     * mode (VACUUM cannot run inside a transaction block), and parses the report.
     *
     * @throws IllegalArgumentException if {@code table} is not a plain {@code [schema.]name} of a table in this database
     */
    public static VacuumReport vacuum(Connection connection, String table) throws SQLException {
        String relation = Relations.resolve(connection, table);
        try (Statement statement = connection.createStatement()) {
            statement.execute("VACUUM (VERBOSE, PROCESS_TOAST FALSE) " + relation);
            return VacuumReport.parse(String.join("\n", notices(statement.getWarnings())));
        }
    }

    private static List<String> notices(SQLWarning first) {
        List<String> notices = new ArrayList<>();
        for (SQLWarning warning = first; warning != null; warning = warning.getNextWarning()) {
            ServerErrorMessage server = warning instanceof PSQLWarning psql ? psql.getServerErrorMessage() : null;
            if (server == null) {
                notices.add(warning.getMessage());
            } else {
                notices.add(server.getDetail() == null ? server.getMessage() : server.getMessage() + "\n" + server.getDetail());
            }
        }
        return notices;
    }
}
