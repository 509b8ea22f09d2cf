package dev.backendlabs.mvcc;

import dev.backendlabs.mvcc.MvccBloatFixture.Workload;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same updates on each {@link UpdateLayout}: what fillfactor costs in size and buys in
 * heap-only updates, and what indexing the updated column costs in HOT, index size and throughput.
 * Sizes and HOT come from one run of the holder scenarios' updates per layout, unpaced; throughput from
 * {@value #ROUNDS} interleaved rounds of {@value #ROUND_UPDATES} updates per layout afterwards, as
 * fast as one session goes (median), so that a burst of load from elsewhere on the machine does
 * not land on one layout only. {@code UpdateWorkloadBenchmark} measures it with JMH.
 */
@Lab
class FillfactorExperimentTest {

    private static final int ROUNDS = 5;
    private static final int ROUND_UPDATES = 1_000;

    @Experiment
    void fillfactorTradesSizeForHotUpdatesAndAnIndexedColumnLosesThemAll(LabReport report) throws Exception {
        int rows = MvccBloatFixture.ROWS;
        long updates = (long) MvccBloatFixture.UPDATES_PER_ROW * rows;
        ReportTable table = ReportTable.of("The same " + updates + " updates of " + rows + " rows by layout, one session",
                "layout", "heap before (MB)", "heap after (MB)", "heap growth (x)", "indexes before (MB)", "indexes after (MB)", "HOT (%)",
                "n_tup_newpage_upd", "updates/s (median of " + ROUNDS + " rounds)");
        List<String> labels = new ArrayList<>();
        List<Double> hot = new ArrayList<>();
        List<Double> heapBefore = new ArrayList<>();
        List<Double> heapAfter = new ArrayList<>();
        List<TableHealth> befores = new ArrayList<>();
        List<TableHealth> afters = new ArrayList<>();
        for (UpdateLayout layout : UpdateLayout.values()) {
            MvccBloatFixture.create(layout, table(layout), rows);
            befores.add(MvccBloatFixture.health(table(layout)));
            MvccBloatFixture.update(MvccBloatFixture.pool(), table(layout), rows, updates, Double.POSITIVE_INFINITY, 1, false);
            afters.add(MvccBloatFixture.health(table(layout)));
        }
        double[][] rounds = new double[UpdateLayout.values().length][ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            for (UpdateLayout layout : UpdateLayout.values()) {
                Workload workload = MvccBloatFixture.update(MvccBloatFixture.pool(), table(layout), rows, ROUND_UPDATES,
                        Double.POSITIVE_INFINITY, 100 + round, false);
                rounds[layout.ordinal()][round] = workload.updatesPerSecond();
            }
        }
        List<Double> perSecond = new ArrayList<>();
        for (UpdateLayout layout : UpdateLayout.values()) {
            TableHealth before = befores.get(layout.ordinal());
            TableHealth after = afters.get(layout.ordinal());
            perSecond.add(median(rounds[layout.ordinal()]));
            table.row(layout.label(), MvccBloatFixture.mb(before.heapBytes()), MvccBloatFixture.mb(after.heapBytes()),
                    MvccBloatFixture.ratio(after.heapBytes(), before.heapBytes()), MvccBloatFixture.mb(indexBytes(before)),
                    MvccBloatFixture.mb(indexBytes(after)), after.hotPercent(), after.newPageUpdates(), perSecond.getLast());
            labels.add(layout.label());
            hot.add(after.hotPercent());
            heapBefore.add(MvccBloatFixture.mb(before.heapBytes()));
            heapAfter.add(MvccBloatFixture.mb(after.heapBytes()));
        }
        report.table(table);
        report.bars("hot-by-fillfactor.png", "Heap-only (HOT) updates by layout, " + updates + " updates of " + rows + " rows",
                "layout (table fillfactor, index on the updated column)", "HOT updates (% of updates)").series("HOT share", labels, hot);
        report.bars("heap-by-fillfactor.png", "Heap size by layout, before and after the same updates",
                "layout (table fillfactor, index on the updated column)", "heap size (MB)")
                .series("before", labels, heapBefore).series("after", labels, heapAfter);
        int ff90 = UpdateLayout.FILLFACTOR_90.ordinal();
        int indexed = UpdateLayout.INDEXED_COLUMN.ordinal();
        report.metric("indexed_vs_unindexed_update_throughput_ratio", perSecond.get(indexed) / perSecond.get(ff90), "x",
                "Updates/s with the updated column indexed / without, both at fillfactor 90: median of " + ROUNDS
                        + " interleaved rounds of " + ROUND_UPDATES + " updates, one session, as fast as it goes.");
        report.metric("fillfactor_90_size_cost_ratio", heapBefore.get(ff90) / heapBefore.get(UpdateLayout.FILLFACTOR_100.ordinal()), "x",
                "Heap of the freshly loaded table at fillfactor 90 / at 100: the room kept free for updates.");

        assertThat(table.rows()).as("one row per layout").hasSize(UpdateLayout.values().length);
    }

    private static String table(UpdateLayout layout) {
        return "layout_" + layout.name().toLowerCase(Locale.ROOT);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long indexBytes(TableHealth health) {
        return health.indexBytes().values().stream().mapToLong(Long::longValue).sum();
    }
}
