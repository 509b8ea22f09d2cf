package dev.backendlabs.pagination;

import dev.backendlabs.pagination.CursorCodec.Direction;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.sql.QueryPlan;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What PostgreSQL does with each query, read from {@code EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)}
 * with bind parameters, on the 1,000,000-row feed:
 *
 * <ul>
 *   <li>keyset: half-way down, an index scan (backward) whose Index Cond is the row comparison and no
 *       Sort node; at the middle and at the deepest page about the same buffers as at the first
 *       (within 3 ×) — on the last page the planner may prefer a bitmap scan and a sort of the
 *       last ~50 rows, which is just as cheap;</li>
 *   <li>OFFSET: buffers that grow with every step in depth;</li>
 *   <li>author filter: the {@code (author_id, created_at, id)} index with both conditions in it;</li>
 *   <li>mixed directions: a row comparison returns the wrong rows; the OR form is right, and only
 *       with the redundant leading bound does it stay an index range instead of a filter over
 *       everything before the cursor.</li>
 * </ul>
 */
@Lab
class SeekPlanTest {

    private static final int PAGE = 50;
    private static FeedTable table;
    private static KeysetPaginator keyset;
    private static OffsetPaginator offset;

    @BeforeAll
    static void createTable() throws SQLException {
        table = FeedFixture.big();
        keyset = new KeysetPaginator(FeedFixture.dataSource(), FeedFixture.CODEC, table);
        offset = new OffsetPaginator(FeedFixture.dataSource(), table);
    }

    @Test
    void keysetSeeksThroughTheIndexWithConstantBuffersAtAnyDepth() throws SQLException {
        String first = keyset.sql(SortOrder.NEWEST_FIRST, Direction.AFTER, false, false);
        String seek = keyset.sql(SortOrder.NEWEST_FIRST, Direction.AFTER, true, false);
        try (Connection connection = FeedFixture.dataSource().getConnection()) {
            QueryPlan firstPage = QueryPlan.explain(connection, first, PAGE + 1);
            FeedFixture.Row middle = FeedFixture.rowAt(connection, table, FeedFixture.bigRows() / 2);
            QueryPlan middlePage = QueryPlan.explain(connection, seek, middle.createdAt(), middle.id(), PAGE + 1);
            FeedFixture.Row deepest = FeedFixture.rowAt(connection, table, FeedFixture.bigRows() - PAGE - 1);
            QueryPlan deepestPage = QueryPlan.explain(connection, seek, deepest.createdAt(), deepest.id(), PAGE + 1);

            assertThat(middlePage.actualRows()).isEqualTo(PAGE + 1);
            assertThat(middlePage.containsNode("Sort")).as(middlePage.nodeTypes().toString()).isFalse();
            assertThat(middlePage.nodeTypes()).containsExactly("Limit", "Index Scan");
            assertThat(middlePage.indexConditions()).anyMatch(condition -> condition.contains("ROW(created_at, id) < ROW("));
            assertThat(middlePage.rowsRemovedByFilter()).isZero();
            // At the very end the planner may sort the last ~50 rows from a bitmap scan instead: still a handful of pages.
            assertThat(deepestPage.actualRows()).isEqualTo(PAGE);
            assertThat(middlePage.sharedBuffers()).isLessThanOrEqualTo(3 * firstPage.sharedBuffers());
            assertThat(deepestPage.sharedBuffers()).isLessThanOrEqualTo(3 * firstPage.sharedBuffers());
        }
    }

    @Test
    void offsetBuffersGrowWithDepth() throws SQLException {
        String sql = offset.sql(false);
        List<Long> buffers = new ArrayList<>();
        try (Connection connection = FeedFixture.dataSource().getConnection()) {
            for (long depth : new long[] {0, 1_000, 10_000, 100_000, FeedFixture.bigRows() - PAGE}) {
                QueryPlan plan = QueryPlan.explain(connection, sql, PAGE, depth);
                assertThat(plan.actualRows()).isEqualTo(PAGE);
                buffers.add(plan.sharedBuffers());
            }
        }
        assertThat(buffers).isSortedAccordingTo(Long::compare).doesNotHaveDuplicates();
        assertThat(buffers.getLast()).isGreaterThan(100 * buffers.getFirst());
    }

    @Test
    void authorFilterSeeksThroughTheAuthorIndex() throws SQLException {
        String seek = keyset.sql(SortOrder.NEWEST_FIRST, Direction.AFTER, true, true);
        try (Connection connection = FeedFixture.dataSource().getConnection()) {
            FeedFixture.Row middle = FeedFixture.rowAt(connection, table, FeedFixture.bigRows() / 2);
            QueryPlan plan = QueryPlan.explain(connection, seek, 7, middle.createdAt(), middle.id(), PAGE + 1);

            assertThat(plan.containsNode("Sort")).isFalse();
            assertThat(plan.indexConditions()).anyMatch(c -> c.contains("author_id = ") && c.contains("ROW(created_at, id) < ROW("));
            assertThat(plan.rowsRemovedByFilter()).isZero();
        }
    }

    @Test
    void mixedDirectionsNeedTheOrFormAndItsRedundantBound(LabReport report) throws SQLException {
        String correct = keyset.sql(SortOrder.TOP_SCORE, Direction.AFTER, true, false);
        String unbounded = topScorePage(KeysetPaginator.seekPredicate(SortOrder.TOP_SCORE, Direction.AFTER, false));
        String rowComparison = topScorePage("(score, id) < (?, ?)");
        try (Connection connection = FeedFixture.dataSource().getConnection()) {
            // A cursor half-way down the listing, inside a group of rows that tie on score (groups hold rows / 1000).
            long[] cursor = scoreRowAt(connection, FeedFixture.bigRows() / 2 + FeedFixture.bigRows() / 3000);
            int score = (int) cursor[0];
            long id = cursor[1];

            List<Long> right = ids(connection, correct, score, score, score, id, PAGE);
            assertThat(ids(connection, unbounded, score, score, id, PAGE)).isEqualTo(right);
            assertThat(ids(connection, rowComparison, score, id, PAGE)).as("row comparison on mixed directions").isNotEqualTo(right);

            QueryPlan bounded = QueryPlan.explain(connection, correct, score, score, score, id, PAGE);
            QueryPlan filtered = QueryPlan.explain(connection, unbounded, score, score, id, PAGE);
            report.metric("mixed_sort_bounded_rows_removed", bounded.rowsRemovedByFilter(), "rows",
                    "score DESC, id ASC half-way down: rows the OR form with the redundant bound read and discarded.");
            report.metric("mixed_sort_bounded_buffers", bounded.sharedBuffers(), "buffers", "Shared buffers of that page.");
            report.metric("mixed_sort_unbounded_rows_removed", filtered.rowsRemovedByFilter(), "rows",
                    "The same page with the OR form alone: the index is read from the top and every row above the cursor filtered out.");
            report.metric("mixed_sort_unbounded_buffers", filtered.sharedBuffers(), "buffers", "Shared buffers of that page.");
            assertThat(bounded.containsNode("Sort")).isFalse();
            assertThat(bounded.indexConditions()).anyMatch(c -> c.contains("score <="));
            assertThat(filtered.filters()).isNotEmpty();
            // Rows read and discarded: the ties of one score with the bound, everything above the cursor without it.
            assertThat(bounded.rowsRemovedByFilter()).isLessThan(FeedFixture.bigRows() / 500);
            assertThat(filtered.rowsRemovedByFilter()).isGreaterThan(FeedFixture.bigRows() / 4);
            assertThat(filtered.sharedBuffers()).isGreaterThan(10 * bounded.sharedBuffers());
        }
    }

    /**
     * The paginator's page query for {@code score DESC, id ASC} with another seek predicate. Same
     * select list as the paginator, so the plans compared are the ones it runs: an index scan that
     * fetches each row from the heap before the filter sees it. (With {@code SELECT id} alone the
     * plan becomes an index-only scan whose buffers depend on how much of the heap the visibility
     * map marked all-visible: 36,873 to 149,048 buffers from run to run, under 2,000 after a second
     * VACUUM.)
     */
    private static String topScorePage(String seek) {
        return "SELECT " + PostRows.COLUMNS + " FROM " + table.qualifiedName()
                + " WHERE " + seek + " ORDER BY score DESC, id ASC LIMIT ?";
    }

    private static long[] scoreRowAt(Connection connection, long depth) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT score, id FROM " + table.qualifiedName() + " ORDER BY score DESC, id ASC OFFSET ? LIMIT 1")) {
            statement.setLong(1, depth);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return new long[] {rows.getInt(1), rows.getLong(2)};
            }
        }
    }

    private static List<Long> ids(Connection connection, String sql, Object... parameters) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getLong(1));
                }
            }
        }
        return ids;
    }
}
