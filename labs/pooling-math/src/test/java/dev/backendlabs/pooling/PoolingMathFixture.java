package dev.backendlabs.pooling;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.metrics.IMetricsTracker;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.metrics.PoolStats;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.PgBouncerBackend;
import dev.backendlabs.shared.backend.PgBouncerBinary;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import static org.awaitility.Awaitility.await;

/**
 * What the lab's test classes share: the namespace, the pgbench tables, pools on the lab's
 * database, PgBouncer, and a closed-loop run that measures both sides of Little's law. No test
 * class calls another.
 */
final class PoolingMathFixture {

    static final LabNamespace NAMESPACE = LabNamespace.current();
    /** pgbench's scale: branches, each with 10 tellers and 10,000 accounts. */
    static final int BRANCHES = 8;
    static final int CORES = Runtime.getRuntime().availableProcessors();

    private static PgbenchWorkload workload;

    private PoolingMathFixture() {
    }

    /** The pgbench tables, created and loaded once per run. */
    static synchronized PgbenchWorkload workload() throws SQLException {
        if (workload == null) {
            try (HikariDataSource loader = pool(config -> config.setMaximumPoolSize(1))) {
                workload = PgbenchWorkload.load(loader, BRANCHES);
            }
        }
        return workload;
    }

    /** A HikariCP pool on the lab's database that the caller owns: the shared defaults adjusted by {@code customizer}. */
    static HikariDataSource pool(Consumer<HikariConfig> customizer) {
        return Backends.postgres().dataSource(NAMESPACE, customizer);
    }

    /**
     * A fixed-size pool that has opened all its connections, so that a measurement does not time
     * their creation. Polled every 5 ms: the lab opens about 35 pools, and Awaitility's default
     * (a first look after 100 ms, then every 100 ms) added seconds of waiting to the run.
     */
    static HikariDataSource filledPool(int size, Consumer<HikariConfig> customizer) {
        HikariDataSource pool = pool(config -> {
            config.setMaximumPoolSize(size);
            config.setMinimumIdle(size);
            customizer.accept(config);
        });
        await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                .until(() -> pool.getHikariPoolMXBean().getTotalConnections() == size);
        return pool;
    }

    /** Where a strategy's connections go; outside CI without PgBouncer installed, a PgBouncer strategy aborts the test. */
    static PoolStrategy.Target target(PoolStrategy strategy) {
        if (strategy == PoolStrategy.HIKARI_PGBOUNCER) {
            pgbouncer();
        }
        return strategy.target(NAMESPACE);
    }

    /**
     * The run's PgBouncer. Outside CI, on a machine without the binary, the calling test is
     * reported as not run, with the install command; under {@code CI=true} the start fails it.
     */
    static PgBouncerBackend pgbouncer() {
        PgBouncerBinary.assumeInstalledUnlessCi();
        return Backends.get(PgBouncerBackend.KIND);
    }

    /** Work done on a borrowed connection, timed by {@link #closedLoop}. */
    @FunctionalInterface
    interface Work {
        void run(Connection connection, SplittableRandom random) throws Exception;
    }

    /**
     * One closed-loop measurement on a HikariCP pool with both sides of Little's law: the rate
     * and mean times measured by the clients, the queue lengths by HikariCP's own gauges.
     *
     * @param throughputPerSecond completed transactions per second of the load's run
     * @param sampledPerSecond    completed transactions per second of the sampler's span, which covers the whole run from empty
     *                            to empty: the λ that goes with the gauges' means
     * @param p99Ms               p99 of borrow + work + return, per transaction
     * @param holdMs              mean time HikariCP counted a connection active, timed by its {@link HoldProbe}: the
     *                            shortest interval that can stand for a hold
     * @param clientHoldMs        the same holds timed to {@code close()} returning: the longest (see {@link HoldProbe})
     * @param waitMs              mean time HikariCP took to hand a connection over, timed by its {@link HoldProbe}
     * @param activeMean          time-weighted mean of {@code HikariPoolMXBean.getActiveConnections()}
     * @param pendingMean         time-weighted mean of {@code getThreadsAwaitingConnection()}
     * @param pendingMax          the largest {@code pending} seen
     * @param errors              transactions that threw after their borrow: they count in both rates (each held a connection)
     */
    record LittleRun(double throughputPerSecond, double sampledPerSecond, double p99Ms, double holdMs, double clientHoldMs,
                     double waitMs, double activeMean, double pendingMean, int pendingMax, long errors) {

        /** λ·W for the connections in use, with W as HikariCP's tracker times a hold. */
        double predictedActive() {
            return sampledPerSecond * holdMs / 1_000;
        }

        /** λ·W for the connections in use, with W timed to {@code close()} returning. */
        double predictedActiveByClient() {
            return sampledPerSecond * clientHoldMs / 1_000;
        }

        /** λ·W for the threads waiting for one. */
        double predictedPending() {
            return sampledPerSecond * waitMs / 1_000;
        }

        /**
         * The gap between HikariCP's mean {@code active} and λ·W, in percent: the gap to the nearer
         * end of [λ·W by the tracker, λ·W by the client]. The gauge counts a connection from a
         * moment before the tracker's first call to one before {@code close()} returns, so its λ·W
         * lies in that range and 0 means inside it.
         */
        double activeErrorPct() {
            double low = predictedActive();
            double high = Math.max(low, predictedActiveByClient());
            return activeMean < low ? errorPct(activeMean, low) : activeMean > high ? errorPct(activeMean, high) : 0;
        }

        /**
         * The gap between HikariCP's mean {@code pending} and λ·W, in percent. The tracker times a
         * wait from {@code getConnection()} to the hand-over, which also holds the alive check of a
         * connection idle for more than 500 ms (a round trip, {@code HikariPool}) and the waits for
         * a core; the gauge counts only threads queued in the bag. Where every connection is busy
         * and threads queue, the queue is nearly all of the wait; in a pool with idle connections
         * the overhead is a large part of it, and this gap measures that overhead, not the gauge.
         */
        double pendingErrorPct() {
            return errorPct(pendingMean, predictedPending());
        }

        /** The larger of {@link #activeErrorPct()} and {@link #pendingErrorPct()}. */
        double littlesLawErrorPct() {
            return Math.max(activeErrorPct(), pendingErrorPct());
        }

        private static double errorPct(double measured, double predicted) {
            return 100 * Math.abs(measured - predicted) / Math.max(predicted, 1e-9);
        }
    }

    /**
     * {@code clients} platform threads borrow from {@code pool}, run {@code work} and give the
     * connection back, for {@code duration}, while a sampler reads HikariCP's gauges every
     * millisecond (time-weighted, so a late sample does not skew the mean). The pool must have been
     * built with a {@link HoldProbe} as its metrics tracker: it times each hold and wait.
     */
    static LittleRun closedLoop(HikariDataSource pool, int clients, Duration duration, Work work) throws InterruptedException {
        if (!(pool.getMetricsTrackerFactory() instanceof HoldProbe probe)) {
            throw new IllegalArgumentException("closedLoop needs a pool whose metrics tracker factory is a HoldProbe");
        }
        probe.reset();
        LongAdder completed = new LongAdder();
        SplittableRandom[] randoms = new SplittableRandom[clients];
        for (int i = 0; i < clients; i++) {
            randoms[i] = new SplittableRandom(42 + i);
        }
        GaugeSampler sampler = new GaugeSampler(pool.getHikariPoolMXBean());
        Thread sampling = Thread.ofPlatform().name("gauge-sampler").start(sampler);
        LoadResult result;
        try {
            result = LoadRunner.workers(clients).duration(duration).run((worker, sequence) -> {
                Connection connection = pool.getConnection();
                try (connection) {
                    work.run(connection, randoms[worker]);
                } finally {
                    probe.returned(); // close() has returned: the client's end of the hold
                    completed.increment();
                }
            });
        } finally {
            sampler.stop();
            sampling.join();
        }
        long count = Math.max(1, completed.sum());
        return new LittleRun(completed.sum() / (result.elapsed().toNanos() / 1e9), completed.sum() / sampler.seconds(),
                result.latency().p99Ms(), probe.holdNanos() / 1e6 / count, probe.clientHoldNanos() / 1e6 / count,
                probe.waitNanos() / 1e6 / count, sampler.activeMean(), sampler.pendingMean(), sampler.pendingMax(), result.errors());
    }

    /**
     * Times each borrow the way HikariCP's gauges count it, through HikariCP's metrics tracker,
     * which it calls on the borrowing thread: {@code recordConnectionAcquiredNanos} right after
     * the connection left the pool (from then on {@code active} counts it; the argument is the
     * wait, which {@code pending} counted) and {@code recordConnectionUsageMillis} right before it
     * goes back ({@code active} stops counting it). Timed by the client instead — from
     * {@code getConnection()} returning to {@code close()} returning — a hold also counted the
     * closing thread's wait for a core after HikariCP had handed the connection on (HikariCP 7
     * yields the core there, {@code ConcurrentBag.requite}): at holds of 0.2 to 0.4 ms on two
     * shared cores, {@code active} then fell 5 to 15 % short of λ·W. HikariCP's own usage timer
     * ({@code hikaricp.connections.usage}) is the tracker's interval, in milliseconds. Timed by the
     * tracker, {@code active} came out 5 to 11 % above λ·W at holds under 0.3 ms (a CI run: 11.3 %
     * at a pool of 1, 0.14 ms holds): the gauge counts a connection from its hand-over, a few
     * microseconds before the tracker's first call, and the sampler is one thread among the
     * clients, so when it reads is not independent of the pool's state. Both timings are kept, each
     * starting at the tracker's first call: to the tracker's last ({@link #holdNanos}) and to
     * {@code close()} returning ({@link #returned}); Little's law for {@code active} is judged
     * against the range of λ·W they give (which holds the gauge's interval as long as its head
     * start before the tracker is shorter than the wait after the hand-off, as measured).
     */
    static final class HoldProbe implements MetricsTrackerFactory {

        private final ThreadLocal<long[]> borrowedAt = ThreadLocal.withInitial(() -> new long[1]);
        private final LongAdder holdNanos = new LongAdder();
        private final LongAdder clientHoldNanos = new LongAdder();
        private final LongAdder waitNanos = new LongAdder();

        @Override
        public IMetricsTracker create(String poolName, PoolStats poolStats) {
            return new IMetricsTracker() {
                @Override
                public void recordConnectionAcquiredNanos(long elapsedAcquiredNanos) {
                    borrowedAt.get()[0] = System.nanoTime();
                    waitNanos.add(elapsedAcquiredNanos);
                }

                @Override
                public void recordConnectionUsageMillis(long elapsedBorrowedMillis) {
                    holdNanos.add(System.nanoTime() - borrowedAt.get()[0]);
                }
            };
        }

        void reset() {
            holdNanos.reset();
            clientHoldNanos.reset();
            waitNanos.reset();
        }

        /** Called by the borrowing thread once {@code close()} has returned: the client's end of the hold. */
        void returned() {
            clientHoldNanos.add(System.nanoTime() - borrowedAt.get()[0]);
        }

        long clientHoldNanos() {
            return clientHoldNanos.sum();
        }

        long holdNanos() {
            return holdNanos.sum();
        }

        long waitNanos() {
            return waitNanos.sum();
        }
    }

    /** Reads HikariCP's active and pending gauges about every millisecond until stopped; means weighted by time. */
    static final class GaugeSampler implements Runnable {

        private final HikariPoolMXBean pool;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private double activeArea;
        private double pendingArea;
        private long span;
        private int pendingMax;

        GaugeSampler(HikariPoolMXBean pool) {
            this.pool = pool;
        }

        @Override
        public void run() {
            long previous = System.nanoTime();
            int active = pool.getActiveConnections();
            int pending = pool.getThreadsAwaitingConnection();
            while (running.get()) {
                LockSupport.parkNanos(1_000_000);
                long now = System.nanoTime();
                long elapsed = now - previous;
                synchronized (this) {
                    activeArea += active * (double) elapsed;
                    pendingArea += pending * (double) elapsed;
                    span += elapsed;
                    pendingMax = Math.max(pendingMax, pending);
                }
                previous = now;
                active = pool.getActiveConnections();
                pending = pool.getThreadsAwaitingConnection();
            }
        }

        void stop() {
            running.set(false);
        }

        synchronized double seconds() {
            return span / 1e9;
        }

        synchronized double activeMean() {
            return span == 0 ? 0 : activeArea / span;
        }

        synchronized double pendingMean() {
            return span == 0 ? 0 : pendingArea / span;
        }

        synchronized int pendingMax() {
            return pendingMax;
        }
    }

    /**
     * Copies what is written to standard error while it is open, still passing it through:
     * HikariCP reports leaks only in its log, which slf4j-simple writes to {@code System.err}
     * (looked up at each write).
     */
    static final class CapturedStandardError implements AutoCloseable {

        private final PrintStream original;
        private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

        private CapturedStandardError(PrintStream original) {
            this.original = original;
        }

        static CapturedStandardError start() {
            CapturedStandardError captured = new CapturedStandardError(System.err);
            System.setErr(new PrintStream(new OutputStream() {
                @Override
                public void write(int b) {
                    captured.original.write(b);
                    synchronized (captured.copy) {
                        captured.copy.write(b);
                    }
                }

                @Override
                public void write(byte[] bytes, int offset, int length) {
                    captured.original.write(bytes, offset, length);
                    synchronized (captured.copy) {
                        captured.copy.write(bytes, offset, length);
                    }
                }
            }, true, StandardCharsets.UTF_8));
            return captured;
        }

        String text() {
            synchronized (copy) {
                return copy.toString(StandardCharsets.UTF_8);
            }
        }

        @Override
        public void close() {
            System.setErr(original);
        }
    }
}
