package dev.backendlabs.mvcc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A table's bloat and update statistics, as the server reports them: exact sizes and tuple counts
 * from {@code pgstattuple}, the cumulative counters of {@code pg_stat_user_tables}, and the size
 * of each index.
 *
 * <p>Why both: {@code n_dead_tup} is an estimate that VACUUM resets and that trails the truth by up
 * to a second (backends flush their counters at most once a second); {@code pgstattuple} reads
 * every page and is exact, but costs a full scan — on a large table in production, prefer
 * {@code pgstattuple_approx}, which skips pages the visibility map marks all-visible. Needs the
 * {@code pgstattuple} extension and PostgreSQL 16 or later ({@code n_tup_newpage_upd}).
 *
 * @param table           the table, as {@code regclass} prints it
 * @param heapBytes       size of the table's main file ({@code pgstattuple.table_len})
 * @param liveTuples      row versions visible now ({@code tuple_count})
 * @param deadTuples      row versions deleted or updated away and not yet removed ({@code dead_tuple_count})
 * @param freePercent     share of the file that is free space ({@code free_percent})
 * @param indexBytes      size of each index, by name
 * @param updates         updates since the statistics began ({@code n_tup_upd}, HOT ones included)
 * @param hotUpdates      of which heap-only: no new index entries ({@code n_tup_hot_upd})
 * @param newPageUpdates  of which the new version went to another page ({@code n_tup_newpage_upd})
 * @param deadTupleEstimate what autovacuum decides by ({@code n_dead_tup})
 * @param autovacuumCount how many times autovacuum vacuumed the table ({@code autovacuum_count})
 * @param lastAutovacuum  when it last did, or null
 */
public record TableHealth(String table, long heapBytes, long liveTuples, long deadTuples, double freePercent, Map<String, Long> indexBytes,
                          long updates, long hotUpdates, long newPageUpdates, long deadTupleEstimate, long autovacuumCount,
                          OffsetDateTime lastAutovacuum) {

    public TableHealth {
        indexBytes = Map.copyOf(indexBytes);
    }

    /**
     * Reads the table's health now.
     *
     * @throws IllegalArgumentException if {@code table} is not a plain {@code [schema.]name} of a table in this database
     */
    public static TableHealth read(Connection connection, String table) throws SQLException {
        String relation = Relations.resolve(connection, table);
        Map<String, Long> indexes = new LinkedHashMap<>();
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT indexrelid::regclass::text, pg_relation_size(indexrelid)
                  FROM pg_index WHERE indrelid = ?::regclass ORDER BY 1""")) {
            statement.setString(1, relation);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    indexes.put(rows.getString(1), rows.getLong(2));
                }
            }
        }
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT t.table_len, t.tuple_count, t.dead_tuple_count, t.free_percent,
                       s.n_tup_upd, s.n_tup_hot_upd, s.n_tup_newpage_upd, s.n_dead_tup, s.autovacuum_count, s.last_autovacuum
                  FROM pgstattuple(?::regclass) t, pg_stat_user_tables s
                 WHERE s.relid = ?::regclass""")) {
            statement.setString(1, relation);
            statement.setString(2, relation);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return new TableHealth(relation, rows.getLong(1), rows.getLong(2), rows.getLong(3), rows.getDouble(4), indexes,
                        rows.getLong(5), rows.getLong(6), rows.getLong(7), rows.getLong(8), rows.getLong(9),
                        rows.getObject(10, OffsetDateTime.class));
            }
        }
    }

    /** Share of the updates that were heap-only, in percent (0 with no updates). */
    public double hotPercent() {
        return updates == 0 ? 0 : 100.0 * hotUpdates / updates;
    }

    /** Share of the updates since {@code earlier} that were heap-only, in percent. */
    public double hotPercentSince(TableHealth earlier) {
        long updated = updates - earlier.updates;
        return updated == 0 ? 0 : 100.0 * (hotUpdates - earlier.hotUpdates) / updated;
    }

    /**
     * Size of one index.
     *
     * @throws IllegalArgumentException if the table has no index of that name
     */
    public long indexBytes(String index) {
        Long bytes = indexBytes.get(index);
        if (bytes == null) {
            throw new IllegalArgumentException("Table " + table + " has no index " + index + "; it has " + indexBytes.keySet());
        }
        return bytes;
    }
}
