package dev.backendlabs.pagination;

import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reader walks a 10,000-row feed, 100 rows a page, while the feed changes between its requests:
 * before each page, 0 to 3 new posts arrive at the head and 0 to 2 posts the reader has already
 * passed are deleted. The schedule is drawn once from a seeded Random over the initial rows, so
 * OFFSET and keyset see exactly the same changes. A row that existed for the whole walk must be
 * returned exactly once: OFFSET repeats rows (head inserts push them onto the next page) and
 * skips rows (deletes behind the reader pull them onto a page already read); keyset does neither.
 */
@Lab
class ConcurrentChangeTest {

    private static final int ROWS = 10_000;
    private static final int PAGE = 100;
    private static final long SEED = 20261123L;

    /** What to do before reading page {@code page} (1-based, from page 2 on). */
    private record Change(int inserts, long[] deletes) {
    }

    private record Walk(int duplicates, int skips) {
    }

    @Test
    void offsetRepeatsAndSkipsRowsWhileKeysetReturnsEachStableRowOnce(LabReport report) throws SQLException {
        FeedTable table = new FeedTable(FeedFixture.SCHEMA, "posts_drift");
        Map<Integer, Change> schedule = schedule(table);

        Walk offset = walk(table, schedule, offsetReader(new OffsetPaginator(FeedFixture.dataSource(), table)));
        Walk keyset = walk(table, schedule, keysetReader(new KeysetPaginator(FeedFixture.dataSource(), FeedFixture.CODEC, table)));

        report.metric("offset_duplicates", offset.duplicates(), "rows",
                "Rows OFFSET paging returned twice while rows arrived at the head (10,000 rows, 100 per page, seeded schedule).");
        report.metric("offset_skips", offset.skips(), "rows", "Rows that existed for the whole walk and OFFSET paging never returned.");
        report.metric("keyset_duplicates", keyset.duplicates(), "rows", "The same for keyset paging, same schedule.");
        report.metric("keyset_skips", keyset.skips(), "rows", "The same for keyset paging, same schedule.");

        assertThat(offset.duplicates()).as("OFFSET duplicates").isPositive();
        assertThat(offset.skips()).as("OFFSET skips").isPositive();
        assertThat(keyset.duplicates()).as("keyset duplicates").isZero();
        assertThat(keyset.skips()).as("keyset skips").isZero();
    }

    /** Creates the table and draws the changes: deletes come from rows well behind any reader's position. */
    private static Map<Integer, Change> schedule(FeedTable table) throws SQLException {
        List<Long> initialOrder = reset(table);
        Random random = new Random(SEED);
        Map<Integer, Change> schedule = new HashMap<>();
        Set<Long> chosen = new HashSet<>();
        for (int page = 2; page <= ROWS / PAGE + 5; page++) {
            int behind = (page - 2) * PAGE / 2;
            List<Long> deletes = new ArrayList<>();
            int count = behind == 0 ? 0 : random.nextInt(3);
            for (int i = 0; i < count; i++) {
                long id = initialOrder.get(random.nextInt(behind));
                if (chosen.add(id)) {
                    deletes.add(id);
                }
            }
            schedule.put(page, new Change(random.nextInt(4), deletes.stream().mapToLong(Long::longValue).toArray()));
        }
        return schedule;
    }

    private static Walk walk(FeedTable table, Map<Integer, Change> schedule, IntFunction<List<Post>> reader) throws SQLException {
        List<Long> initial = reset(table);
        Set<Long> deleted = new HashSet<>();
        Map<Long, Integer> seen = new HashMap<>();
        for (int page = 1; ; page++) {
            Change change = schedule.get(page);
            if (change != null) {
                try (Connection connection = FeedFixture.dataSource().getConnection()) {
                    table.insertAtHead(connection, change.inserts());
                    if (change.deletes().length > 0) {
                        table.delete(connection, change.deletes());
                        for (long id : change.deletes()) {
                            deleted.add(id);
                        }
                    }
                }
            }
            List<Post> rows = reader.apply(page);
            if (rows.isEmpty()) {
                break;
            }
            rows.forEach(post -> seen.merge(post.id(), 1, Integer::sum));
        }
        int duplicates = seen.values().stream().mapToInt(times -> times - 1).sum();
        int skips = (int) initial.stream().filter(id -> !deleted.contains(id) && !seen.containsKey(id)).count();
        return new Walk(duplicates, skips);
    }

    private static IntFunction<List<Post>> offsetReader(OffsetPaginator paginator) {
        return page -> paginator.page(page, PAGE, OptionalInt.empty());
    }

    /** Follows next cursors; page numbers only drive the schedule. */
    private static IntFunction<List<Post>> keysetReader(KeysetPaginator paginator) {
        Page<?>[] last = {null};
        return page -> {
            if (last[0] != null && !last[0].hasNext()) {
                return List.of();
            }
            PageRequest request = last[0] == null ? PageRequest.first(PAGE) : PageRequest.first(PAGE).at(last[0].nextCursor());
            Page<Post> next = paginator.page(FeedFixture.READER, request);
            last[0] = next;
            return next.items();
        };
    }

    /** Recreates the table with its 10,000 rows and returns their ids in listing order. */
    private static List<Long> reset(FeedTable table) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (Connection connection = FeedFixture.dataSource().getConnection()) {
            table.create(connection, ROWS);
            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery(
                         "SELECT id FROM " + table.qualifiedName() + " ORDER BY created_at DESC, id DESC")) {
                while (rows.next()) {
                    ids.add(rows.getLong(1));
                }
            }
        }
        return ids;
    }
}
