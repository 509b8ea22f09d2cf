package dev.backendlabs.mvcc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * THE PATTERN, monitoring: one query that finds everything holding the xmin horizon back — sessions
 * by snapshot or by transaction id, prepared transactions, replication slots and standbys with
 * feedback — with the transaction id each pins and its age, oldest first.
 *
 * <p>Why one query: each kind hides somewhere else. The usual check, {@code age(backend_xmin)} in
 * {@code pg_stat_activity}, misses a READ COMMITTED transaction that wrote and went idle (its
 * {@code backend_xmin} is NULL between statements, its {@code backend_xid} pins) and every
 * prepared transaction (no session at all). Alert on the first row's {@code xminAgeXids} or
 * {@code heldFor}; the row says who to end. The SQL lives in {@value #RESOURCE}, ready to paste
 * into a monitoring agent.
 */
public final class HorizonMonitor {

    /** The query, on the class path. */
    public static final String RESOURCE = "horizon_holders.sql";

    private final String sql;

    public HorizonMonitor() {
        try (InputStream in = HorizonMonitor.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path");
            }
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every holder the server knows of, oldest pinned transaction id first; the calling session is left out. */
    public List<HorizonHolder> holders(Connection connection) throws SQLException {
        List<HorizonHolder> holders = new ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                double heldSeconds = rows.getDouble("held_seconds");
                Duration heldFor = rows.wasNull() ? null : Duration.ofNanos((long) (heldSeconds * 1e9));
                holders.add(new HorizonHolder(HorizonHolder.Kind.valueOf(rows.getString("kind")), rows.getString("holder"),
                        rows.getString("database"), rows.getLong("xmin"), rows.getLong("xmin_age"), heldFor));
            }
        }
        return holders;
    }
}
