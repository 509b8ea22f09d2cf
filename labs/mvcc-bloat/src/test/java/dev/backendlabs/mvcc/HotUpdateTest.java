package dev.backendlabs.mvcc;

import dev.backendlabs.mvcc.MvccBloatFixture.Workload;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Heap-only tuples: an update that changes no indexed column and fits on its page adds no index
 * entry, and the next reader of the page prunes the old version without VACUUM. The holder
 * scenarios' workload, nothing holding the horizon, on two layouts of {@link UpdateLayout}.
 */
@Lab
class HotUpdateTest {

    @Test
    void updatingAnIndexedColumnIsNeverHotAndGrowsThatIndex(LabReport report) throws Exception {
        String table = "hot_indexed";
        MvccBloatFixture.create(UpdateLayout.INDEXED_COLUMN, table, MvccBloatFixture.ROWS);
        TableHealth before = MvccBloatFixture.health(table);
        Workload workload = MvccBloatFixture.holderWorkload(table);
        TableHealth after = MvccBloatFixture.health(table);

        report.table(ReportTable.of("Indexes of " + table + " before and after " + workload.updates() + " updates of the indexed column",
                        "index", "before (MB)", "after (MB)")
                .row(table + "_pkey", MvccBloatFixture.mb(before.indexBytes(table + "_pkey")),
                        MvccBloatFixture.mb(after.indexBytes(table + "_pkey")))
                .row(table + "_balance", MvccBloatFixture.mb(before.indexBytes(table + "_balance")),
                        MvccBloatFixture.mb(after.indexBytes(table + "_balance"))));
        report.metric("indexed_update_hot_pct", after.hotPercent(), "%",
                "Share of heap-only updates when the updated column (balance) is indexed: " + workload.updates()
                        + " updates, fillfactor 90.");
        assertThat(after.updates()).isEqualTo(workload.updates());
        assertThat(after.hotUpdates()).as("heap-only updates").isZero();
        // Every update inserted a new balance entry; VACUUM has not run to remove the old ones.
        assertThat(after.indexBytes(table + "_balance")).isGreaterThan(before.indexBytes(table + "_balance"));
        assertThat(after.deadTupleEstimate()).as("n_dead_tup: only VACUUM can remove index entries").isEqualTo(workload.updates());
    }

    @Test
    void fillfactor90LeavesRoomForEveryUpdateOnItsOwnPage(LabReport report) throws Exception {
        String table = "hot_ff90";
        MvccBloatFixture.create(UpdateLayout.FILLFACTOR_90, table, MvccBloatFixture.ROWS);
        Workload workload = MvccBloatFixture.holderWorkload(table);
        TableHealth after = MvccBloatFixture.health(table);

        report.metric("fillfactor_90_hot_pct", after.hotPercent(), "%",
                "Share of heap-only updates at fillfactor 90, updated column not indexed: " + workload.updates() + " updates.");
        // Anchor measurement: >= 99.9 % at fillfactor 90 (98 % at 100, where the first update of each full page must leave it).
        assertThat(after.hotPercent()).isGreaterThanOrEqualTo(99.9);
        assertThat(after.newPageUpdates()).as("n_tup_newpage_upd").isLessThanOrEqualTo(workload.updates() / 1000);
    }
}
