package dev.backendlabs.pagination;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;

/**
 * Creates and fills a feed table server-side with {@code generate_series}, so a million rows take
 * seconds, not minutes of client inserts. The data is a fixed function of the row number (no
 * randomness), so every run and every machine pages through the same rows:
 *
 * <ul>
 *   <li>{@code created_at}: one of {@code rows / 5} minutes in 2025, {@code (i × 7919) mod (rows / 5)},
 *       so every timestamp is shared by exactly 5 rows whose ids are far apart — ties are real.</li>
 *   <li>{@code author_id}: 1 to 1,000; {@code score}: 0 to 999 (about {@code rows / 1000} ties each).</li>
 * </ul>
 *
 * Sort keys are {@code NOT NULL}: a NULL in a row comparison makes it unknown and the row vanishes
 * from every keyset page (see {@code NullSortKeyTest}).
 */
public final class FeedTable {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,40}");

    private final String schema;
    private final String name;

    /** The table {@code schema.name}; every statement names the schema, so the search path never decides which table is read. */
    public FeedTable(String schema, String name) {
        if (!NAME.matcher(schema).matches() || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Invalid table name '" + schema + "." + name + "'");
        }
        this.schema = schema;
        this.name = name;
    }

    public String schema() {
        return schema;
    }

    public String name() {
        return name;
    }

    /** {@code schema.name}, as every statement writes it. */
    public String qualifiedName() {
        return schema + "." + name;
    }

    /**
     * Creates the schema if needed, drops and recreates the table with {@code rows} rows (a multiple
     * of 5) and its indexes, then analyzes it.
     */
    public void create(Connection connection, int rows) throws SQLException {
        if (rows < 5 || rows % 5 != 0) {
            throw new IllegalArgumentException("rows must be a positive multiple of 5, got " + rows);
        }
        try (Statement sql = connection.createStatement()) {
            sql.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
            sql.execute("DROP TABLE IF EXISTS " + qualifiedName());
            sql.execute("CREATE TABLE " + qualifiedName() + " ("
                    + " id bigint PRIMARY KEY,"
                    + " created_at timestamptz NOT NULL,"
                    + " author_id int NOT NULL,"
                    + " score int NOT NULL,"
                    + " title text NOT NULL,"
                    + " body text NOT NULL)");
            sql.execute("INSERT INTO " + qualifiedName() + " (id, created_at, author_id, score, title, body)"
                    + " SELECT i,"
                    + "        timestamptz '2025-01-01 00:00:00+00' + ((i * 7919) % " + (rows / 5) + ") * interval '1 minute',"
                    + "        (1 + (i * 31) % 1000)::int,"
                    + "        ((i * 37) % 1000)::int,"
                    + "        'Post #' || i,"
                    + "        repeat(md5(i::text), 3)"
                    + " FROM generate_series(1::bigint, " + rows + ") AS i");
            sql.execute("CREATE INDEX " + name + "_created_at_id ON " + qualifiedName() + " (created_at, id)");
            sql.execute("CREATE INDEX " + name + "_author_created_at_id ON " + qualifiedName() + " (author_id, created_at, id)");
            sql.execute("CREATE INDEX " + name + "_score_desc_id ON " + qualifiedName() + " (score DESC, id ASC)");
            sql.execute("VACUUM ANALYZE " + qualifiedName());
        }
    }

    /** Inserts {@code count} posts newer than every existing one: the head of the feed moves. */
    public void insertAtHead(Connection connection, int count) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO " + qualifiedName() + " (id, created_at, author_id, score, title, body)"
                + " SELECT m.id + i, m.created_at + i * interval '1 second',"
                + "        (1 + ((m.id + i) * 31) % 1000)::int, (((m.id + i) * 37) % 1000)::int,"
                + "        'Post #' || (m.id + i), 'new'"
                + " FROM (SELECT coalesce(max(id), 0) AS id, coalesce(max(created_at), now()) AS created_at"
                + "       FROM " + qualifiedName() + ") m,"
                + " generate_series(1, ?) AS i")) {
            insert.setInt(1, count);
            insert.executeUpdate();
        }
    }

    /** Deletes the given posts. */
    public void delete(Connection connection, long... ids) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM " + qualifiedName() + " WHERE id = ANY (?)")) {
            delete.setArray(1, connection.createArrayOf("bigint", java.util.Arrays.stream(ids).boxed().toArray()));
            delete.executeUpdate();
        }
    }
}
