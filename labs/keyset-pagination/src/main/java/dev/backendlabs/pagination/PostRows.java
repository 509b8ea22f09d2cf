package dev.backendlabs.pagination;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** The select list both paginators read, and the mapping of its rows. */
final class PostRows {

    static final String COLUMNS = "id, created_at, author_id, score, title";

    private PostRows() {
    }

    static List<Post> read(PreparedStatement statement) throws SQLException {
        List<Post> posts = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                posts.add(new Post(rows.getLong(1), rows.getObject(2, OffsetDateTime.class).toInstant(),
                        rows.getInt(3), rows.getInt(4), rows.getString(5)));
            }
        }
        return posts;
    }

    /** Microseconds since the epoch: exact for timestamptz, and what the cursor carries. */
    static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    static OffsetDateTime timestamp(long micros) {
        Instant instant = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
        return instant.atOffset(ZoneOffset.UTC);
    }
}
