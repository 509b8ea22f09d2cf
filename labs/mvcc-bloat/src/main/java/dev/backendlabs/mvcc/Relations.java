package dev.backendlabs.mvcc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.regex.Pattern;

/**
 * Turns a table name from the caller into the name PostgreSQL prints for it, or refuses it. VACUUM
 * takes no bind parameters, so the name ends up in SQL text: only plain identifiers
 * ({@code [schema.]name}) of an existing table or materialized view get that far.
 */
final class Relations {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

    private Relations() {
    }

    /**
     * The table's name as {@code regclass} prints it (schema-qualified when it is not on the search path).
     *
     * @throws IllegalArgumentException if {@code table} is not a plain identifier or names no table in this database
     */
    static String resolve(Connection connection, String table) throws SQLException {
        if (table == null || !NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("Not a table name: '" + table + "' (use [schema.]name: letters, digits and _)");
        }
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid = to_regclass(?) AND c.relkind IN ('r', 'm')")) {
            statement.setString(1, table);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    throw new IllegalArgumentException("No table '" + table + "' in database " + connection.getCatalog());
                }
                return rows.getString(1);
            }
        }
    }
}
