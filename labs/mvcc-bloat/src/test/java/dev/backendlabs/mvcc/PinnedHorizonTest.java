package dev.backendlabs.mvcc;

import dev.backendlabs.mvcc.MvccBloatFixture.Holder;
import dev.backendlabs.mvcc.MvccBloatFixture.HolderRun;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The failure: the control's workload while one REPEATABLE READ transaction that read once (from
 * another table) sits idle. Its snapshot may still need every version the workload replaces, so
 * nothing can be pruned or vacuumed: each update needs new room, goes to another page (no HOT)
 * and adds a primary key entry. The scenario runs once; each test reads one property of it.
 */
@Lab
class PinnedHorizonTest {

    private static HolderRun run;

    @BeforeAll
    static void runTheWorkloadUnderAnIdleRepeatableReadTransaction() throws Exception {
        run = MvccBloatFixture.holderRun("pinned_rr", Holder.REPEATABLE_READ_READ, MvccBloatFixture.session());
    }

    @Test
    void anIdleRepeatableReadTransactionBloatsTheTableAndItsIndexAndDefeatsHot(LabReport report) {
        MvccBloatFixture.record(report, "REPEATABLE READ, one read, idle", MvccBloatFixture.shownAs(run.pin()), run);
        report.metric("pinned_heap_growth_ratio", run.heapGrowth(), "x", "Heap after / before the same workload as the control, while one"
                + " REPEATABLE READ transaction that read another table sat idle.");
        report.metric("pinned_index_growth_ratio", run.pkeyGrowth(), "x", "Primary key index after / before, same run.");
        report.metric("pinned_hot_pct", run.hotPercent(), "%", "Share of the updates that were heap-only, same run.");
        assertThat(run.pin().backendXmin()).as("backend_xmin of the holder").isNotNull();
        assertThat(run.heapGrowth()).isGreaterThanOrEqualTo(3.0);
        assertThat(run.pkeyGrowth()).isGreaterThanOrEqualTo(3.0);
        assertThat(run.hotPercent()).isLessThanOrEqualTo(5.0);
    }

    @Test
    void vacuumUnderThePinRemovesNothingAndKeepsOneDeadVersionPerUpdate(LabReport report) {
        report.metric("not_yet_removable_tuples", run.vacuum().deadNotYetRemovable(), "tuples",
                "VACUUM (VERBOSE) while the REPEATABLE READ transaction held: dead but not yet removable (the workload made "
                        + run.workload().updates() + " updates).");
        ReportTable verbose = ReportTable.of("VACUUM (VERBOSE) of pinned_rr while the holder held, as the server wrote it", "line");
        run.vacuum().output().lines().filter(line -> line.startsWith("tuples:") || line.startsWith("removable cutoff:"))
                .forEach(verbose::row);
        report.table(verbose);
        assertThat(run.vacuum().tuplesRemoved()).isZero();
        // Every update left exactly one old version that the snapshot may still read.
        assertThat(run.vacuum().deadNotYetRemovable()).isEqualTo(run.workload().updates());
        // VACUUM's horizon is the holder's snapshot, and it is as old as the workload's transactions (one per batch).
        assertThat(run.vacuum().removableCutoff()).isEqualTo(run.pin().backendXmin());
        assertThat(run.vacuum().cutoffAgeXids().orElseThrow()).isGreaterThanOrEqualTo(run.workload().updates() / MvccBloatFixture.BATCH);
    }
}
