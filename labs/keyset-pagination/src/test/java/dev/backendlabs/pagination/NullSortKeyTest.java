package dev.backendlabs.pagination;

import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A row comparison with a NULL in it is neither true nor false but unknown, so
 * {@code WHERE (published_at, id) < (?, ?)} never returns a row whose {@code published_at} is
 * NULL: with a nullable sort key those rows silently vanish from every page after the first.
 * The lab's fix is the simplest one: sort keys are {@code NOT NULL} in the schema, so the
 * situation cannot arise (drafts without a publication time belong in another listing).
 */
@Lab
class NullSortKeyTest {

    @Test
    void rowComparisonLosesRowsWithANullSortKey() throws SQLException {
        try (Connection connection = FeedFixture.dataSource().getConnection(); Statement sql = connection.createStatement()) {
            sql.execute("DROP TABLE IF EXISTS drafts");
            sql.execute("CREATE TABLE drafts (id bigint PRIMARY KEY, published_at timestamptz)");
            // 1,000 rows; every tenth has no publication time. NULLS LAST puts them at the end of the listing.
            sql.execute("INSERT INTO drafts SELECT i, CASE WHEN i % 10 = 0 THEN NULL"
                    + " ELSE timestamptz '2025-01-01 00:00:00+00' + i * interval '1 minute' END FROM generate_series(1, 1000) i");

            List<Long> walked = new ArrayList<>();
            OffsetDateTime lastPublished = null;
            long lastId = 0;
            String first = "SELECT id, published_at FROM drafts ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 100";
            String next = "SELECT id, published_at FROM drafts WHERE (published_at, id) < (?, ?)"
                    + " ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 100";
            for (int page = 0; page < 20; page++) {
                try (PreparedStatement statement = connection.prepareStatement(page == 0 ? first : next)) {
                    if (page > 0) {
                        statement.setObject(1, lastPublished);
                        statement.setLong(2, lastId);
                    }
                    int count = 0;
                    try (ResultSet rows = statement.executeQuery()) {
                        while (rows.next()) {
                            count++;
                            lastId = rows.getLong(1);
                            lastPublished = rows.getObject(2, OffsetDateTime.class);
                            walked.add(lastId);
                        }
                    }
                    if (count < 100) {
                        break;
                    }
                }
            }

            assertThat(walked).as("rows reached by the walk").hasSize(900).doesNotHaveDuplicates();
            assertThat(walked).as("no row with a NULL published_at is ever returned").allMatch(id -> id % 10 != 0);
        }
    }

    @Test
    void feedSortKeysAreNotNull() throws SQLException {
        FeedTable table = FeedFixture.small();
        try (Connection connection = FeedFixture.dataSource().getConnection();
             PreparedStatement statement = connection.prepareStatement("SELECT column_name, is_nullable FROM information_schema.columns"
                     + " WHERE table_schema = ? AND table_name = ? AND column_name IN ('id', 'created_at', 'score', 'author_id')")) {
            statement.setString(1, table.schema());
            statement.setString(2, table.name());
            try (ResultSet rows = statement.executeQuery()) {
                int columns = 0;
                while (rows.next()) {
                    columns++;
                    assertThat(rows.getString(2)).as(rows.getString(1)).isEqualTo("NO");
                }
                assertThat(columns).isEqualTo(4);
            }
        }
    }
}
