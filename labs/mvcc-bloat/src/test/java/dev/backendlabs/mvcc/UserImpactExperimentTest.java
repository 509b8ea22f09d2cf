package dev.backendlabs.mvcc;

import dev.backendlabs.mvcc.MvccBloatFixture.Held;
import dev.backendlabs.mvcc.MvccBloatFixture.Holder;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LatencyRecorder;
import dev.backendlabs.shared.load.LatencySummary;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import dev.backendlabs.shared.sql.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What users feel: a few hot rows updated all the time (the branches of a TPC-B bank, the counters
 * of a shop) from one session offered {@value #UPDATES_PER_SECOND} updates/s, and read by users at
 * a fixed rate, before, during and after an idle REPEATABLE READ transaction. Under the pin every
 * update of a hot row adds a version that no one may remove, so a read of that row walks more
 * versions each second, and a sequential scan reads a growing file. After the holder ends, a plain
 * VACUUM removes the versions: reads recover, but the scan still reads the file the pin left behind.
 *
 * <p>Point selects are open-loop ({@link LoadRunner#atRate}), latency timed from each intended
 * start; the scan is timed five times at the end of each phase (median).
 */
@Lab
class UserImpactExperimentTest {

    private static final String TABLE = "impact";
    private static final int HOT_ROWS = 5;
    private static final double UPDATES_PER_SECOND = 5_000;
    private static final double SELECTS_PER_SECOND = 200;
    private static final int SCANS = 5;

    private record Phase(String name, OpenLoopResult selects, double scanMs, long heapBytes, LatencySummary updates,
                         double updatesPerSecond) {
    }

    @Experiment
    void hotRowReadsAndScansSlowDownUnderAPinAndReadsRecoverAfterVacuum(Scale scale, LabReport report) throws Exception {
        Duration quiet = scale.pick(Duration.ofSeconds(2), Duration.ofSeconds(10));
        Duration pinned = scale.pick(Duration.ofSeconds(5), Duration.ofSeconds(60));
        MvccBloatFixture.create(UpdateLayout.FILLFACTOR_100, TABLE, MvccBloatFixture.ROWS);
        List<Phase> phases = new ArrayList<>();
        try (Updater updater = Updater.start()) {
            // Warm-up, not reported: connections, JIT, the table in cache.
            phase("warm-up", Duration.ofSeconds(1), updater);
            phases.add(phase("before", quiet, updater));
            try (Held held = Held.begin(Holder.REPEATABLE_READ_READ, MvccBloatFixture.session())) {
                phases.add(phase("pinned (idle REPEATABLE READ)", pinned, updater));
                assertThat(held.pin().backendXmin()).as("the pin held for the whole phase").isNotNull();
            }
            MvccBloatFixture.vacuum(TABLE);
            phases.add(phase("after: holder ended, VACUUM", quiet, updater));
        }

        ReportTable table = ReportTable.of("Point selects on " + HOT_ROWS + " hot rows at " + (long) SELECTS_PER_SECOND
                        + "/s while they take "
                        + (long) UPDATES_PER_SECOND + " updates/s (" + MvccBloatFixture.ROWS + "-row table)",
                "phase", "length (s)", "point select p50 (ms)", "point select p99 (ms)", "point select max (ms)", "seq scan (ms)",
                "heap at the end (MB)", "update batch p99 (ms)", "updates/s achieved");
        double offset = 0;
        List<Double> times = new ArrayList<>();
        List<Double> p99s = new ArrayList<>();
        for (Phase phase : phases) {
            table.row(phase.name(), phase.selects().elapsed().toMillis() / 1000.0, phase.selects().latency().p50Ms(),
                    phase.selects().latency().p99Ms(), phase.selects().latency().maxMs(), phase.scanMs(),
                    MvccBloatFixture.mb(phase.heapBytes()),
                    phase.updates().p99Ms(), phase.updatesPerSecond());
            for (OpenLoopResult.Bucket bucket : phase.selects().timeline()) {
                times.add(offset + bucket.startSeconds());
                p99s.add(bucket.latency().p99Ms());
            }
            offset += phase.selects().elapsed().toNanos() / 1e9;
        }
        report.table(table);
        report.line("user-impact.png", "Point-select p99 on hot rows, before, during and after a pinned horizon",
                "time (s)", "p99 latency per 0.5 s (ms)").series("point select p99",
                times.stream().mapToDouble(Double::doubleValue).toArray(), p99s.stream().mapToDouble(Double::doubleValue).toArray());
        Phase before = phases.get(0);
        Phase during = phases.get(1);
        Phase after = phases.get(2);
        report.metric("point_select_p99_ms_pinned_vs_control", during.selects().latency().p99Ms() / before.selects().latency().p99Ms(), "x",
                "p99 of point selects on the hot rows during the pinned phase / before it (" + pinned.toSeconds() + " s of pin).");
        report.metric("point_select_p99_ms_after_vs_control", after.selects().latency().p99Ms() / before.selects().latency().p99Ms(), "x",
                "p99 after the holder ended and VACUUM ran / before the pin.");
        report.metric("hot_update_throughput_pinned_vs_control", during.updatesPerSecond() / before.updatesPerSecond(), "x",
                "Updates/s one session achieved on the hot rows during the pin / before it, offered " + (long) UPDATES_PER_SECOND
                        + "/s: each update must first find the row's live version among all the kept ones.");
        report.metric("seq_scan_ms_pinned_vs_control", during.scanMs() / before.scanMs(), "x",
                "Median time of a full scan of the table at the end of the pinned phase / before it.");
        report.metric("seq_scan_ms_after_vs_control", after.scanMs() / before.scanMs(), "x",
                "The same after VACUUM: the dead versions are gone, the file the pin grew is not.");

        assertThat(phases).allSatisfy(phase ->
                assertThat(phase.selects().completed()).as(phase.name()).isEqualTo(phase.selects().scheduled()));
    }

    private static Phase phase(String name, Duration length, Updater updater) throws Exception {
        updater.startPhase();
        OpenLoopResult selects = LoadRunner.atRate(SELECTS_PER_SECOND).duration(length).poisson(name.length())
                .timeline(Duration.ofMillis(500)).run(sequence -> pointSelect(1 + sequence % HOT_ROWS));
        double scanMs = scanMs();
        long heapBytes = MvccBloatFixture.health(TABLE).heapBytes();
        return new Phase(name, selects, scanMs, heapBytes, updater.phaseLatency(), updater.phaseRate());
    }

    private static void pointSelect(long id) throws SQLException {
        try (Connection connection = MvccBloatFixture.pool().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT balance FROM " + TABLE + " WHERE id = ?")) {
            select.setLong(1, id);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
            }
        }
    }

    private static double scanMs() {
        double[] times = new double[SCANS];
        for (int i = 0; i < SCANS; i++) {
            long start = System.nanoTime();
            Sql.queryLong(MvccBloatFixture.pool(), "SELECT sum(balance) FROM " + TABLE);
            times[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(times);
        return times[SCANS / 2];
    }

    /**
     * Updates the hot rows from one session in the background, 10 to a transaction, paced at
     * {@link #UPDATES_PER_SECOND}; records each transaction's latency for the current phase.
     */
    private static final class Updater implements AutoCloseable {

        private static final int BATCH = 10;
        private final Thread thread;
        private final AtomicReference<LatencyRecorder> recorder = new AtomicReference<>(new LatencyRecorder());
        private final AtomicLong updated = new AtomicLong();
        private final AtomicReference<Exception> failure = new AtomicReference<>();
        private volatile boolean running = true;
        private volatile long phaseStart;
        private volatile long phaseUpdates;

        private Updater() {
            thread = Thread.ofPlatform().name("hot-row-updater").start(this::run);
        }

        static Updater start() {
            return new Updater();
        }

        private void run() {
            SplittableRandom random = new SplittableRandom(42);
            long start = System.nanoTime();
            try (Connection connection = MvccBloatFixture.pool().getConnection();
                 PreparedStatement update = connection.prepareStatement(UpdateLayout.updateSql(TABLE))) {
                connection.setAutoCommit(false);
                for (long done = 0; running; done += BATCH) {
                    long due = start + (long) (done / UPDATES_PER_SECOND * 1e9);
                    for (long wait = due - System.nanoTime(); wait > 0 && running; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    long[] ids = random.longs(BATCH, 1, HOT_ROWS + 1).sorted().toArray();
                    long begin = System.nanoTime();
                    for (long id : ids) {
                        update.setLong(1, id);
                        update.addBatch();
                    }
                    update.executeBatch();
                    connection.commit();
                    recorder.get().recordSince(begin);
                    updated.addAndGet(BATCH);
                }
                connection.setAutoCommit(true);
            } catch (SQLException e) {
                failure.set(e);
            }
        }

        void startPhase() {
            recorder.set(new LatencyRecorder());
            phaseStart = System.nanoTime();
            phaseUpdates = updated.get();
        }

        /** The current phase's latencies, copied (the updater keeps recording). */
        LatencySummary phaseLatency() {
            return LatencySummary.of(recorder.get().histogram());
        }

        double phaseRate() {
            return (updated.get() - phaseUpdates) / ((System.nanoTime() - phaseStart) / 1e9);
        }

        @Override
        public void close() throws Exception {
            running = false;
            thread.join();
            if (failure.get() != null) {
                throw failure.get();
            }
        }
    }
}
