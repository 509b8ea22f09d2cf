package dev.backendlabs.pagination;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;

/**
 * The lab's database, tables and cursor keys, created once per test JVM: {@link #big()}
 * (1,000,000 rows, or 10,000,000 at {@code -Dlabs.scale=full}) for depth and plans;
 * {@link #small()} (100,000 rows) for full walks. The tables live in schema {@value #SCHEMA},
 * which is not on the search path: a statement that forgot the schema would fail.
 */
final class FeedFixture {

    static final String SCHEMA = "feed";
    static final CursorKey KEY = new CursorKey(1, "keyset-pagination lab secret, 32+ bytes long".getBytes(StandardCharsets.UTF_8));
    static final CursorCodec CODEC = new CursorCodec(KEY);
    /** The reader every test pages as, unless it is about scopes. */
    static final CursorScope READER = new CursorScope("reader-1");
    static final int SMALL_ROWS = 100_000;

    private static FeedTable big;
    private static FeedTable small;
    private static long bigSetupMillis;

    private FeedFixture() {
    }

    static HikariDataSource dataSource() {
        return Backends.postgres().pool(LabNamespace.current());
    }

    static int bigRows() {
        return Scale.current().pick(1_000_000, 10_000_000);
    }

    static synchronized FeedTable big() throws SQLException {
        if (big == null) {
            long start = System.nanoTime();
            big = create("posts", bigRows());
            bigSetupMillis = (System.nanoTime() - start) / 1_000_000;
        }
        return big;
    }

    static synchronized long bigSetupMillis() {
        return bigSetupMillis;
    }

    static synchronized FeedTable small() throws SQLException {
        if (small == null) {
            small = create("posts_small", SMALL_ROWS);
        }
        return small;
    }

    /** A fresh table {@code feed.<name>} with {@code rows} rows. */
    private static FeedTable create(String name, int rows) throws SQLException {
        FeedTable table = new FeedTable(SCHEMA, name);
        try (Connection connection = dataSource().getConnection()) {
            table.create(connection, rows);
        }
        return table;
    }

    record Row(OffsetDateTime createdAt, long id) {
    }

    /** The opaque cursor a client holds after reading the page of {@code size} rows that ends with {@code row}. */
    static String cursorAfter(KeysetPaginator keyset, Row row, int size) {
        return CODEC.encode(new CursorCodec.Cursor(CursorCodec.Direction.AFTER, PostRows.micros(row.createdAt().toInstant()), row.id()),
                keyset.listing(PageRequest.first(size)), READER);
    }

    /** The row at {@code depth} (0-based) of the newest-first listing. */
    static Row rowAt(Connection connection, FeedTable table, long depth) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT created_at, id FROM " + table.qualifiedName() + " ORDER BY created_at DESC, id DESC OFFSET ? LIMIT 1")) {
            statement.setLong(1, depth);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return new Row(rows.getObject(1, OffsetDateTime.class), rows.getLong(2));
            }
        }
    }
}
