package dev.backendlabs.mvcc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;

/**
 * The table designs the lab updates, shared by its tests, {@code FillfactorExperimentTest} and
 * {@code UpdateWorkloadBenchmark} so that all compare the same things. Every layout is the same
 * {@code accounts} table — {@code id bigint PRIMARY KEY, balance bigint, note text} (64 characters),
 * about 73 rows to an 8 kB page at fillfactor 100 — updated by {@code balance = balance + 1}; they
 * differ in the free space each page keeps for new row versions (fillfactor) and in whether the
 * updated column is indexed.
 *
 * <p>Why these: an update is heap-only (HOT: no new index entries, cleaned up by the next reader of
 * the page) only if no indexed column changes and the new version fits on the same page.
 * PostgreSQL's default fillfactor is 100, so the first update on every full page misses.
 */
public enum UpdateLayout {
    /** PostgreSQL's default: pages filled to the brim. */
    FILLFACTOR_100("fillfactor 100", 100, false),
    /** A tenth of each page kept free for updates. */
    FILLFACTOR_90("fillfactor 90", 90, false),
    /** Three tenths kept free: more room than 3 updates per row need. */
    FILLFACTOR_70("fillfactor 70", 70, false),
    /** As {@link #FILLFACTOR_90}, with an index on {@code balance}: no update can be heap-only. */
    INDEXED_COLUMN("fillfactor 90, balance indexed", 90, true);

    private static final Pattern TABLE = Pattern.compile("[a-z_][a-z0-9_]{0,50}");

    private final String label;
    private final int fillfactor;
    private final boolean balanceIndexed;

    UpdateLayout(String label, int fillfactor, boolean balanceIndexed) {
        this.label = label;
        this.fillfactor = fillfactor;
        this.balanceIndexed = balanceIndexed;
    }

    public String label() {
        return label;
    }

    /** The index on the updated column, if the layout has one: {@code <table>_balance}. */
    public boolean balanceIndexed() {
        return balanceIndexed;
    }

    /**
     * Drops and creates {@code table} with {@code rows} accounts, vacuumed and analyzed, with
     * autovacuum off (a test that wants it turns it on for its table).
     */
    public void create(Connection connection, String table, int rows) throws SQLException {
        if (!TABLE.matcher(table).matches() || rows < 1) {
            throw new IllegalArgumentException("Invalid table '" + table + "' or row count " + rows);
        }
        try (Statement sql = connection.createStatement()) {
            sql.execute("DROP TABLE IF EXISTS " + table);
            sql.execute("CREATE TABLE " + table + " (id bigint PRIMARY KEY, balance bigint NOT NULL, note text NOT NULL)"
                    + " WITH (fillfactor = " + fillfactor + ", autovacuum_enabled = off)");
            sql.execute("INSERT INTO " + table + " SELECT i, 0, repeat(md5(i::text), 2) FROM generate_series(1, " + rows + ") i");
            if (balanceIndexed) {
                sql.execute("CREATE INDEX " + table + "_balance ON " + table + " (balance)");
            }
            sql.execute("VACUUM ANALYZE " + table);
        }
    }

    /** One update, by primary key: {@code balance = balance + 1}. */
    public static String updateSql(String table) {
        return "UPDATE " + table + " SET balance = balance + 1 WHERE id = ?";
    }
}
