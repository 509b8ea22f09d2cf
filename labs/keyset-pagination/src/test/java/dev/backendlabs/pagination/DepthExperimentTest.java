package dev.backendlabs.pagination;

import dev.backendlabs.pagination.CursorCodec.Direction;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LatencyRecorder;
import dev.backendlabs.shared.load.LatencySummary;
import dev.backendlabs.shared.report.Charts;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import dev.backendlabs.shared.sql.QueryPlan;
import org.knowm.xchart.XYChart;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Latency (HdrHistogram over repeated reads through the paginators) and shared buffers (EXPLAIN)
 * of a 50-row page at increasing depth, OFFSET against keyset, on the 1,000,000-row feed
 * (10,000,000 at full scale); and what an exact count costs against the planner's estimate.
 * Each depth is read repeatedly until 50 reads or 3 s, after two warm-up reads, so deep OFFSET
 * pages get fewer samples than cheap ones.
 */
@Lab
class DepthExperimentTest {

    private static final int PAGE = 50;
    private static final int MAX_READS = 50;
    private static final long MAX_NANOS_PER_DEPTH = 3_000_000_000L;

    private record Point(long depth, LatencySummary offset, long offsetBuffers, LatencySummary keyset, long keysetBuffers) {
    }

    @Experiment
    void offsetSlowsWithDepthWhileKeysetStaysFlat(Scale scale, LabReport report) throws SQLException {
        FeedTable table = FeedFixture.big();
        int rows = FeedFixture.bigRows();
        report.metric("feed_setup_s", FeedFixture.bigSetupMillis() / 1000.0, "s",
                "Time to generate " + rows + " rows server-side, build three indexes and analyze"
                        + " (whichever test class needed the table first).");
        OffsetPaginator offset = new OffsetPaginator(FeedFixture.dataSource(), table);
        KeysetPaginator keyset = new KeysetPaginator(FeedFixture.dataSource(), FeedFixture.CODEC, table);
        List<Long> depths = new ArrayList<>(List.of(0L, 1_000L, 10_000L, 100_000L, 500_000L));
        if (scale == Scale.FULL) {
            depths.addAll(List.of(5_000_000L, 9_990_000L));
        }
        depths.add((long) rows - PAGE);

        List<Point> points = new ArrayList<>();
        try (Connection connection = FeedFixture.dataSource().getConnection()) {
            for (long depth : depths) {
                FeedFixture.Row before = depth == 0 ? null : FeedFixture.rowAt(connection, table, depth - 1);
                LatencySummary offsetLatency = measure(PageVariant.OFFSET.pageAt(FeedFixture.dataSource(), table, depth, PAGE));
                LatencySummary keysetLatency = measure(PageVariant.KEYSET.pageAt(FeedFixture.dataSource(), table, depth, PAGE));
                long offsetBuffers = QueryPlan.explain(connection, offset.sql(false), PAGE, depth).sharedBuffers();
                long keysetBuffers = keysetBuffers(connection, keyset, before);
                points.add(new Point(depth, offsetLatency, offsetBuffers, keysetLatency, keysetBuffers));
            }
            reportCounts(connection, table, report);
            reportSizes(connection, table, report);
        }

        ReportTable table1 = ReportTable.of("A 50-row page at depth (" + rows + " rows, " + scale.label() + " scale)",
                "depth (rows)", "OFFSET p50 (ms)", "OFFSET p99 (ms)", "OFFSET reads", "OFFSET buffers",
                "keyset p50 (ms)", "keyset p99 (ms)", "keyset reads", "keyset buffers");
        for (Point p : points) {
            table1.row(p.depth(), p.offset().p50Ms(), p.offset().p99Ms(), p.offset().count(), p.offsetBuffers(),
                    p.keyset().p50Ms(), p.keyset().p99Ms(), p.keyset().count(), p.keysetBuffers());
        }
        report.table(table1);
        report.chart("latency-by-depth.png", chart("p50 latency of a 50-row page by depth", "p50 latency (ms)", points, true));
        report.chart("buffers-by-depth.png",
                chart("Shared buffers touched by a 50-row page by depth", "shared buffers (8 kB pages)", points, false));

        Point first = points.getFirst();
        Point deepest = points.getLast();
        report.metric("offset_deep_vs_first_latency_ratio", deepest.offset().p50Ms() / first.offset().p50Ms(), "x",
                "p50 of the last page over p50 of page 1 with OFFSET.");
        report.metric("keyset_deep_vs_first_latency_ratio", deepest.keyset().p50Ms() / first.keyset().p50Ms(), "x",
                "p50 of the last page over p50 of page 1 with keyset.");
        report.metric("offset_deep_buffers", deepest.offsetBuffers(), "buffers",
                "Shared buffers of the last page with OFFSET (page 1: " + first.offsetBuffers() + ").");
        report.metric("keyset_deep_buffers", deepest.keysetBuffers(), "buffers",
                "Shared buffers of the last page with keyset (page 1: " + first.keysetBuffers() + ").");

        assertThat(points).allSatisfy(p -> assertThat(p.offset().count()).isPositive());
    }

    /** Shared buffers of the keyset page after {@code before}, or of the first page when it is null. */
    private static long keysetBuffers(Connection connection, KeysetPaginator keyset, FeedFixture.Row before) throws SQLException {
        String sql = keyset.sql(SortOrder.NEWEST_FIRST, Direction.AFTER, before != null, false);
        QueryPlan plan = before == null
                ? QueryPlan.explain(connection, sql, PAGE + 1)
                : QueryPlan.explain(connection, sql, before.createdAt(), before.id(), PAGE + 1);
        return plan.sharedBuffers();
    }

    private static LatencySummary measure(Supplier<Object> read) {
        read.get();
        read.get();
        LatencyRecorder recorder = new LatencyRecorder();
        long begin = System.nanoTime();
        for (int i = 0; i < MAX_READS && System.nanoTime() - begin < MAX_NANOS_PER_DEPTH; i++) {
            long start = System.nanoTime();
            read.get();
            recorder.recordSince(start);
        }
        return recorder.summary();
    }

    /** count(*) reads the whole table; the planner's estimate (pg_class.reltuples) reads one catalog row. */
    private static void reportCounts(Connection connection, FeedTable table, LabReport report) throws SQLException {
        LatencyRecorder exact = new LatencyRecorder();
        LatencyRecorder estimate = new LatencyRecorder();
        long exactCount = 0;
        long estimatedCount = 0;
        try (Statement statement = connection.createStatement()) {
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + table.qualifiedName())) {
                    rows.next();
                    exactCount = rows.getLong(1);
                }
                exact.recordSince(start);
            }
            for (int i = 0; i < 20; i++) {
                long start = System.nanoTime();
                try (ResultSet rows = statement.executeQuery(
                        "SELECT reltuples::bigint FROM pg_class WHERE oid = '" + table.qualifiedName() + "'::regclass")) {
                    rows.next();
                    estimatedCount = rows.getLong(1);
                }
                estimate.recordSince(start);
            }
        }
        report.metric("exact_count_ms", exact.summary().p50Ms(), "ms",
                "p50 of SELECT count(*) over the feed (" + exactCount + " rows), 5 runs.");
        report.metric("estimated_count_ms", estimate.summary().p50Ms(), "ms",
                "p50 of reading the planner's estimate (pg_class.reltuples = " + estimatedCount + "), 20 runs.");
        report.metric("estimated_count_error_pct", 100.0 * Math.abs(estimatedCount - exactCount) / exactCount, "%",
                "How far the estimate is from the exact count after ANALYZE; it drifts until autovacuum analyzes again.");
    }

    /** Whether the table fits PostgreSQL's own cache explains where OFFSET's latency bends. */
    private static void reportSizes(Connection connection, FeedTable table, LabReport report) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT pg_table_size('" + table.qualifiedName() + "'),"
                     + " (SELECT setting::bigint * 8192 FROM pg_settings WHERE name = 'shared_buffers')")) {
            rows.next();
            report.metric("feed_table_mb", rows.getLong(1) / 1048576.0, "MB", "Size of the feed's heap (pg_table_size).");
            report.metric("shared_buffers_mb", rows.getLong(2) / 1048576.0, "MB", "PostgreSQL's shared_buffers in this run.");
        }
    }

    private static XYChart chart(String title, String yAxis, List<Point> points, boolean latency) {
        XYChart chart = Charts.line(title, "page number (log scale)", yAxis);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        double[] x = points.stream().mapToDouble(p -> p.depth() / PAGE + 1).toArray();
        chart.addSeries("OFFSET", x, points.stream().mapToDouble(p -> latency ? p.offset().p50Ms() : p.offsetBuffers()).toArray());
        chart.addSeries("keyset", x, points.stream().mapToDouble(p -> latency ? p.keyset().p50Ms() : p.keysetBuffers()).toArray());
        return chart;
    }
}
