package dev.backendlabs.pooling;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 10,000 threads, each wanting one short query, on a pool of 10: virtual threads against
 * platform threads. Waiting for a connection parks a virtual thread and frees its carrier, so
 * the queue in front of the pool is 10,000 parked continuations, drained at the pool's pace.
 * What would go wrong: a virtual thread pinned to its carrier while it blocks (a monitor before
 * JDK 24, a native frame, a class initializer), or a spin that burns CPU while waiting (HikariCP
 * #2329 / #2398: {@code Thread.yield()} in {@code ConcurrentBag.requite} under virtual-thread
 * load). JFR counts pinning ({@code jdk.VirtualThreadPinned}, no threshold) — proved to work by a
 * deliberately pinned thread — and the process's CPU time per query is compared between the two
 * kinds of thread.
 */
@Lab
class VirtualThreadsPoolTest {

    private static final int THREADS = 10_000;
    private static final int POOL = 10;
    /**
     * How much more CPU a query may cost on virtual threads than on platform threads. A yield
     * spin costs whole cores for as long as threads wait (the reports above measured several
     * hundred percent); parking costs about what platform threads pay. Twice leaves room for the
     * noise of a shared two-core machine.
     */
    private static final double CPU_TOLERANCE = 2.0;

    @Test
    void tenThousandVirtualThreadsOnAPoolOfTenQueueWithoutPinningOrBurningCpu(LabReport report) throws Exception {
        Run virtual = run(Thread.ofVirtual()::unstarted);
        Run platform = run(Thread.ofPlatform()::unstarted);
        long controlPinned = pinnedEvents(VirtualThreadsPoolTest::pinDeliberately);

        report.metric("virtual_threads_pending_max", virtual.pendingMax(), "threads",
                "Most threads HikariCP saw waiting for a connection: " + THREADS + " virtual threads, one query each, pool of " + POOL
                        + ".");
        report.table(ReportTable.of(THREADS + " threads, one query each, pool of " + POOL, "threads", "wall (ms)", "CPU (ms)",
                        "CPU per query (µs)", "pending (most)", "pending at the end", "pinned events")
                .row("virtual", virtual.wallMs(), virtual.cpuMs(), virtual.cpuMicrosPerQuery(), virtual.pendingMax(),
                        virtual.pendingAtEnd(),
                        virtual.pinned())
                .row("platform", platform.wallMs(), platform.cpuMs(), platform.cpuMicrosPerQuery(), platform.pendingMax(),
                        platform.pendingAtEnd(), platform.pinned()));
        assertThat(controlPinned).as("a virtual thread blocking in a class initializer is seen pinned: the detector works").isPositive();
        assertThat(virtual.completed()).isEqualTo(THREADS);
        assertThat(virtual.pendingMax()).as("pending is bounded by the threads that can wait").isBetween(1, THREADS - POOL);
        assertThat(virtual.pendingAtEnd()).as("and drains").isZero();
        assertThat(virtual.pinned()).as("carriers pinned while waiting or querying").isZero();
        assertThat(virtual.cpuMicrosPerQuery()).as("CPU per query, virtual (%.0f µs) against platform threads (%.0f µs)",
                virtual.cpuMicrosPerQuery(), platform.cpuMicrosPerQuery())
                .isLessThanOrEqualTo(CPU_TOLERANCE * platform.cpuMicrosPerQuery());
    }

    private record Run(long completed, long wallMs, long cpuMs, int pendingMax, int pendingAtEnd, long pinned) {
        double cpuMicrosPerQuery() {
            return cpuMs * 1_000.0 / Math.max(1, completed);
        }
    }

    /**
     * Starts {@link #THREADS} threads made by {@code threads} at once, each borrowing, querying and
     * returning; one query on a virtual thread first, so that no class is loaded during the count.
     */
    private static Run run(Function<Runnable, Thread> threads) throws Exception {
        try (HikariDataSource pool = PoolingMathFixture.filledPool(POOL, config -> config.setConnectionTimeout(120_000))) {
            Thread.ofVirtual().start(() -> query(pool)).join();
            LongAdder completed = new LongAdder();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> started = new ArrayList<>(THREADS);
            for (int i = 0; i < THREADS; i++) {
                Thread thread = threads.apply(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    query(pool);
                    completed.increment();
                });
                thread.start();
                started.add(thread);
            }
            PoolingMathFixture.GaugeSampler gauges = new PoolingMathFixture.GaugeSampler(pool.getHikariPoolMXBean());
            Thread sampling = Thread.ofPlatform().start(gauges);
            long[] pinned = new long[1];
            long cpuBefore = processCpuNanos();
            long begin = System.nanoTime();
            pinned[0] = pinnedEvents(() -> {
                start.countDown();
                for (Thread thread : started) {
                    thread.join();
                }
            });
            long wall = System.nanoTime() - begin;
            long cpu = processCpuNanos() - cpuBefore;
            gauges.stop();
            sampling.join();
            return new Run(completed.sum(), wall / 1_000_000, cpu / 1_000_000, gauges.pendingMax(),
                    pool.getHikariPoolMXBean().getThreadsAwaitingConnection(), pinned[0]);
        }
    }

    /** One borrow, {@code SELECT 1}, return. */
    private static void query(HikariDataSource pool) {
        try (Connection connection = pool.getConnection(); PreparedStatement query = connection.prepareStatement("SELECT 1")) {
            query.execute();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    /** {@code jdk.VirtualThreadPinned} events, at any duration, recorded while {@code action} runs. */
    private static long pinnedEvents(Action action) throws Exception {
        LongAdder pinned = new LongAdder();
        try (RecordingStream events = new RecordingStream()) {
            events.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO);
            events.onEvent("jdk.VirtualThreadPinned", event -> pinned.increment());
            events.startAsync();
            action.run();
            events.stop();
        }
        return pinned.sum();
    }

    /** A virtual thread that blocks inside a class initializer cannot unmount: a pinning the JDK reports on every version. */
    private static void pinDeliberately() throws InterruptedException {
        Thread.ofVirtual().start(() -> PinsWhileInitializing.touch()).join();
    }

    private static long processCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos();
    }

    /** Sleeps in its static initializer. */
    private static final class PinsWhileInitializing {
        static {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        static void touch() {
            // Loading the class is the point.
        }
    }
}
