package dev.backendlabs.pagination;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The lab's database and tables, created once per test JVM: {@link #big()} (1,000,000 rows, or
 * 10,000,000 at {@code -Dlabs.scale=full}) for depth and plans; {@link #small()} (100,000 rows)
 * for full walks.
 */
final class Feeds {

    static final LabNamespace NAMESPACE = new LabNamespace("keyset-pagination");
    static final CursorCodec CODEC = new CursorCodec("keyset-pagination lab secret, 32+ bytes long".getBytes(StandardCharsets.UTF_8));
    static final int SMALL_ROWS = 100_000;

    private static HikariDataSource dataSource;
    private static FeedTable big;
    private static FeedTable small;
    private static long bigSetupMillis;

    private Feeds() {
    }

    static synchronized HikariDataSource dataSource() {
        if (dataSource == null) {
            dataSource = Backends.postgres().dataSource(NAMESPACE, config -> config.setMaximumPoolSize(4));
        }
        return dataSource;
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

    static FeedTable create(String name, int rows) throws SQLException {
        FeedTable table = new FeedTable(name);
        try (Connection connection = dataSource().getConnection()) {
            table.create(connection, rows);
        }
        return table;
    }
}
