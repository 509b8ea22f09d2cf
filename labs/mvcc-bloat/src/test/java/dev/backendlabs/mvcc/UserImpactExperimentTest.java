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
import dev.backendlabs.shared.sql.QueryPlan;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What users feel: one hot row updated all the time (the branch of a TPC-B bank at pgbench's scale
 * 1, a stock counter) from one session offered {@value #UPDATES_PER_SECOND} updates/s, and read by
 * users at a fixed rate, before, during and after an idle REPEATABLE READ transaction. Under the pin
 * every update adds a version that no one may remove, so a read of the row walks more versions each
 * second, and a sequential scan reads a growing file. After the holder ends, a plain VACUUM removes
 * the versions: reads recover, but the scan still reads the file the pin left behind.
 *
 * <p>Point selects are open-loop ({@link LoadRunner#atRate}), latency timed from each intended
 * start: what a user waits, noise of the machine included. Beside it, the server's own cost of the
 * same select and of a full scan, from {@code EXPLAIN (ANALYZE, BUFFERS)} at the end of each phase
 * (median of {@value #EXPLAINS}): execution time and shared buffers touched, which no other process
 * on the machine inflates.
 */
@Lab
class UserImpactExperimentTest {

    private static final String TABLE = "impact";
    private static final long HOT_ROW = 1;
    /** 50,000 rows (5.6 MB): a scan long enough to time, which the pin grows by about half at the quick scale. */
    private static final int ROWS = Scale.current().pick(50_000, 500_000);
    private static final double UPDATES_PER_SECOND = 5_000;
    private static final double SELECTS_PER_SECOND = 200;
    private static final int EXPLAINS = 5;
    private static final String POINT_SELECT = "SELECT balance FROM " + TABLE + " WHERE id = ?";
    private static final String SCAN = "SELECT sum(balance) FROM " + TABLE;

    /** Server-side cost of one statement: medians of {@value #EXPLAINS} EXPLAIN ANALYZE runs. */
    private record Cost(double executionMs, long buffers) {
    }

    /** @param startSeconds when the phase's selects began, in seconds since the first phase began */
    private record Phase(String name, double startSeconds, OpenLoopResult selects, Cost select, Cost scan, long heapBytes,
                         LatencySummary updates, double updatesPerSecond) {
    }

    @Experiment
    void hotRowReadsAndScansSlowDownUnderAPinAndReadsRecoverAfterVacuum(Scale scale, LabReport report) throws Exception {
        Duration quiet = scale.pick(Duration.ofSeconds(2), Duration.ofSeconds(10));
        Duration pinned = scale.pick(Duration.ofSeconds(5), Duration.ofSeconds(60));
        MvccBloatFixture.create(UpdateLayout.FILLFACTOR_100, TABLE, ROWS);
        List<Phase> phases = new ArrayList<>();
        List<double[]> serverCost;
        try (Updater updater = Updater.start()) {
            // Warm-up, not reported: connections, JIT, the table in cache.
            phase("warm-up", 0, Duration.ofSeconds(1), updater);
            long start = System.nanoTime();
            try (CostSampler sampler = CostSampler.start(start)) {
                phases.add(phase("before", start, quiet, updater));
                try (Held held = Held.begin(Holder.REPEATABLE_READ_READ, MvccBloatFixture.session())) {
                    phases.add(phase("pinned (idle REPEATABLE READ)", start, pinned, updater));
                    assertThat(held.pin().backendXmin()).as("the pin held for the whole phase").isNotNull();
                }
                MvccBloatFixture.vacuum(TABLE);
                phases.add(phase("after: holder ended, VACUUM", start, quiet, updater));
                serverCost = sampler.samples();
            }
        }

        ReportTable table = ReportTable.of("Point selects of the hot row at " + (long) SELECTS_PER_SECOND + "/s while it takes "
                        + (long) UPDATES_PER_SECOND + " updates/s (" + ROWS + "-row table)",
                "phase", "length (s)", "point select p50 (ms)", "point select p99 (ms)", "select: server ms", "select: buffers",
                "seq scan: server ms", "seq scan: buffers", "heap at the end (MB)", "update batch p99 (ms)", "updates/s achieved");
        List<Double> times = new ArrayList<>();
        List<Double> p99s = new ArrayList<>();
        for (Phase phase : phases) {
            table.row(phase.name(), phase.selects().elapsed().toMillis() / 1000.0, phase.selects().latency().p50Ms(),
                    phase.selects().latency().p99Ms(), phase.select().executionMs(), phase.select().buffers(), phase.scan().executionMs(),
                    phase.scan().buffers(), MvccBloatFixture.mb(phase.heapBytes()), phase.updates().p99Ms(), phase.updatesPerSecond());
            for (OpenLoopResult.Bucket bucket : phase.selects().timeline()) {
                times.add(phase.startSeconds() + bucket.startSeconds());
                p99s.add(bucket.latency().p99Ms());
            }
        }
        report.table(table);
        Phase before = phases.get(0);
        Phase during = phases.get(1);
        Phase after = phases.get(2);
        report.line("user-impact.png", "Point select of the hot row; horizon pinned from " + Math.round(during.startSeconds()) + " s to "
                        + Math.round(after.startSeconds()) + " s, then VACUUM", "time (s)", "latency (ms, log scale)")
                .logY()
                .series("client p99 per 0.5 s (open loop)", times.stream().mapToDouble(Double::doubleValue).toArray(),
                        p99s.stream().mapToDouble(Double::doubleValue).toArray())
                .series("server execution (EXPLAIN ANALYZE)", serverCost.stream().mapToDouble(sample -> sample[0]).toArray(),
                        serverCost.stream().mapToDouble(sample -> sample[1]).toArray());
        report.metric("point_select_p99_ms_pinned_vs_control", during.selects().latency().p99Ms() / before.selects().latency().p99Ms(), "x",
                "p99 of open-loop point selects of the hot row during the pinned phase / before it (" + pinned.toSeconds() + " s of pin).");
        report.metric("point_select_buffers_pinned_vs_control", (double) during.select().buffers() / before.select().buffers(), "x",
                "Shared buffers one point select of the hot row touches at the end of the pinned phase / before it (EXPLAIN BUFFERS).");
        report.metric("point_select_p99_ms_after_vs_control", after.selects().latency().p99Ms() / before.selects().latency().p99Ms(), "x",
                "p99 after the holder ended and VACUUM ran / before the pin.");
        report.metric("hot_update_throughput_pinned_vs_control", during.updatesPerSecond() / before.updatesPerSecond(), "x",
                "Updates/s one session achieved on the hot row during the pin / before it, offered " + (long) UPDATES_PER_SECOND
                        + "/s: each update must first find the row's live version among all the kept ones.");
        report.metric("seq_scan_ms_pinned_vs_control", during.scan().executionMs() / before.scan().executionMs(), "x",
                "Server execution time of a full scan of the table at the end of the pinned phase / before it (EXPLAIN ANALYZE, median).");
        report.metric("seq_scan_ms_after_vs_control", after.scan().executionMs() / before.scan().executionMs(), "x",
                "The same after VACUUM: the dead versions are gone, the file the pin grew is not.");

        assertThat(phases).allSatisfy(phase ->
                assertThat(phase.selects().completed()).as(phase.name()).isEqualTo(phase.selects().scheduled()));
    }

    private static Phase phase(String name, long start, Duration length, Updater updater) throws Exception {
        updater.startPhase();
        double startSeconds = (System.nanoTime() - start) / 1e9;
        OpenLoopResult selects = LoadRunner.atRate(SELECTS_PER_SECOND).duration(length).poisson(name.length())
                .timeline(Duration.ofMillis(500)).run(sequence -> pointSelect());
        LatencySummary updates = updater.phaseLatency();
        double updatesPerSecond = updater.phaseRate();
        try (Connection connection = MvccBloatFixture.pool().getConnection()) {
            Cost select = cost(connection, POINT_SELECT, HOT_ROW);
            Cost scan = cost(connection, SCAN);
            return new Phase(name, startSeconds, selects, select, scan, MvccBloatFixture.health(TABLE).heapBytes(), updates,
                    updatesPerSecond);
        }
    }

    private static void pointSelect() throws SQLException {
        try (Connection connection = MvccBloatFixture.pool().getConnection();
             PreparedStatement select = connection.prepareStatement(POINT_SELECT)) {
            select.setLong(1, HOT_ROW);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
            }
        }
    }

    private static Cost cost(Connection connection, String sql, Object... parameters) throws SQLException {
        double[] millis = new double[EXPLAINS];
        long[] buffers = new long[EXPLAINS];
        for (int i = 0; i < EXPLAINS; i++) {
            QueryPlan plan = QueryPlan.explain(connection, sql, parameters);
            millis[i] = plan.executionMillis();
            buffers[i] = plan.sharedBuffers();
        }
        Arrays.sort(millis);
        Arrays.sort(buffers);
        return new Cost(millis[EXPLAINS / 2], buffers[EXPLAINS / 2]);
    }

    /** A loop on a thread of its own until closed; {@link #close()} rethrows what ended it early. */
    private abstract static class BackgroundLoop implements AutoCloseable {

        private final AtomicReference<Exception> failure = new AtomicReference<>();
        private volatile boolean running = true;
        private Thread thread;

        /** The loop: runs while {@link #running()}. */
        abstract void loop() throws Exception;

        /** Called once, at the end of the subclass's constructor. */
        final void startOn(Thread.Builder builder) {
            thread = builder.start(() -> {
                try {
                    loop();
                } catch (Exception e) {
                    failure.set(e);
                }
            });
        }

        final boolean running() {
            return running;
        }

        @Override
        public final void close() throws Exception {
            running = false;
            thread.join();
            if (failure.get() != null) {
                throw failure.get();
            }
        }
    }

    /** Runs EXPLAIN ANALYZE of the point select every 250 ms: (seconds since {@code start}, execution ms, shared buffers). */
    private static final class CostSampler extends BackgroundLoop {

        private final List<double[]> samples = new ArrayList<>();
        private final long start;

        private CostSampler(long start) {
            this.start = start;
            startOn(Thread.ofVirtual());
        }

        static CostSampler start(long start) {
            return new CostSampler(start);
        }

        @Override
        void loop() throws SQLException, InterruptedException {
            try (Connection connection = MvccBloatFixture.pool().getConnection()) {
                while (running()) {
                    QueryPlan plan = QueryPlan.explain(connection, POINT_SELECT, HOT_ROW);
                    synchronized (samples) {
                        samples.add(new double[] {(System.nanoTime() - start) / 1e9, plan.executionMillis(), plan.sharedBuffers()});
                    }
                    Thread.sleep(250);
                }
            }
        }

        List<double[]> samples() {
            synchronized (samples) {
                return List.copyOf(samples);
            }
        }
    }

    /**
     * Updates the hot row from one session in the background, 10 updates to a transaction, paced at
     * {@link #UPDATES_PER_SECOND}; records each transaction's latency for the current phase.
     */
    private static final class Updater extends BackgroundLoop {

        private static final int BATCH = 10;
        private final AtomicReference<LatencyRecorder> recorder = new AtomicReference<>(new LatencyRecorder());
        private final AtomicLong updated = new AtomicLong();
        private volatile long phaseStart;
        private volatile long phaseUpdates;

        private Updater() {
            startOn(Thread.ofPlatform().name("hot-row-updater"));
        }

        static Updater start() {
            return new Updater();
        }

        @Override
        void loop() throws SQLException {
            MvccBloatFixture.Pacer pacer = new MvccBloatFixture.Pacer(UPDATES_PER_SECOND);
            try (Connection connection = MvccBloatFixture.pool().getConnection();
                 PreparedStatement update = connection.prepareStatement(UpdateLayout.updateSql(TABLE))) {
                connection.setAutoCommit(false);
                while (running()) {
                    pacer.await(BATCH);
                    long begin = System.nanoTime();
                    for (int i = 0; i < BATCH; i++) {
                        update.setLong(1, HOT_ROW);
                        update.addBatch();
                    }
                    update.executeBatch();
                    connection.commit();
                    recorder.get().recordSince(begin);
                    updated.addAndGet(BATCH);
                }
                connection.setAutoCommit(true);
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
    }
}
