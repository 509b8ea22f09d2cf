package dev.backendlabs.shared.sql;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The one-liners tests keep writing: count rows, read a column of numbers, run a statement.
 * Parameters are bound in order; failures surface as {@link UncheckedSqlException} with the SQL,
 * so that a lambda or a stream can call them.
 *
 * <pre>{@code
 * long lost = placed - Sql.queryLong(pool, "SELECT count(DISTINCT event_id) FROM effects");
 * }</pre>
 */
public final class Sql {

    private Sql() {
    }

    /** The first column of the single row {@code sql} returns, as a long (0 for SQL NULL). */
    public static long queryLong(DataSource dataSource, String sql, Object... parameters) {
        List<Long> values = queryLongs(dataSource, sql, parameters);
        if (values.size() != 1) {
            throw new UncheckedSqlException(sql, new SQLException("expected one row, got " + values.size()));
        }
        return values.getFirst();
    }

    /** The first column of every row {@code sql} returns, as longs (0 for SQL NULL). */
    public static List<Long> queryLongs(DataSource dataSource, String sql, Object... parameters) {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = prepare(connection, sql, parameters);
             ResultSet rows = statement.executeQuery()) {
            List<Long> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getLong(1));
            }
            return values;
        } catch (SQLException e) {
            throw new UncheckedSqlException(sql, e);
        }
    }

    /** Runs one statement in its own transaction (auto-commit); returns the update count, or -1 for a statement without one. */
    public static int execute(DataSource dataSource, String sql, Object... parameters) {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = prepare(connection, sql, parameters)) {
            return statement.execute() ? -1 : statement.getUpdateCount();
        } catch (SQLException e) {
            throw new UncheckedSqlException(sql, e);
        }
    }

    private static PreparedStatement prepare(Connection connection, String sql, Object... parameters) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        try {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            return statement;
        } catch (SQLException e) {
            statement.close();
            throw e;
        }
    }

    /** A {@link SQLException} from {@link Sql}, unchecked, naming the statement that failed. */
    public static final class UncheckedSqlException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        UncheckedSqlException(String sql, SQLException cause) {
            super(cause.getMessage() + " [SQL: " + sql + "]", cause);
        }

        /** The SQLSTATE of the failure, e.g. {@code 40001}. */
        public String sqlState() {
            return ((SQLException) getCause()).getSQLState();
        }
    }
}
