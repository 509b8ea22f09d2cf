package dev.backendlabs.pooling;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An exhausted pool fails fast and says why. Requests hold their connections longer than the
 * pool can absorb: the waiting ones fail at {@code connectionTimeout} with HikariCP's
 * {@code (total=…, active=…, idle=…, waiting=…)}, which tells a slow or leaked hold (all active)
 * from a pool too small for its load. Over time, a long timeout turns the overload into a latency
 * disaster; a short one into bounded errors.
 */
@Lab
class PoolExhaustionTest {

    private static final int POOL = 4;
    private static final int WAITERS = 8;
    private static final Duration TIMEOUT = Duration.ofMillis(250);
    /**
     * How late after {@code connectionTimeout} a failed borrow may return. HikariCP waits on its
     * hand-off queue until the deadline; on this two-core machine shared with other builds the
     * waiter is rescheduled within a few milliseconds (the reference run measured the largest
     * delay beside this tolerance), and 100 ms leaves room for a loaded scheduler.
     */
    private static final long EPSILON_MS = 100;

    @Test
    void acquisitionFailsAtConnectionTimeoutWithThePoolsStateInTheMessage(LabReport report) throws Exception {
        List<Long> failedAfterMs = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        try (HikariDataSource pool = PoolingMathFixture.filledPool(POOL, config -> config.setConnectionTimeout(TIMEOUT.toMillis()));
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch allHeld = new CountDownLatch(POOL);
            CountDownLatch release = new CountDownLatch(1);
            List<Future<?>> holders = new ArrayList<>();
            for (int i = 0; i < POOL; i++) {
                holders.add(threads.submit(() -> {
                    try (Connection ignored = pool.getConnection()) {
                        allHeld.countDown();
                        release.await();
                    }
                    return null;
                }));
            }
            allHeld.await();
            List<Future<Long>> waiters = new ArrayList<>();
            for (int i = 0; i < WAITERS; i++) {
                waiters.add(threads.submit(() -> {
                    long begin = System.nanoTime();
                    try (Connection unexpected = pool.getConnection()) {
                        throw new AssertionError("got a connection from an exhausted pool");
                    } catch (SQLTransientConnectionException e) {
                        synchronized (messages) {
                            messages.add(e.getMessage());
                        }
                        return (System.nanoTime() - begin) / 1_000_000;
                    }
                }));
            }
            for (Future<Long> waiter : waiters) {
                failedAfterMs.add(waiter.get());
            }
            release.countDown();
            for (Future<?> holder : holders) {
                holder.get();
            }
        }
        long latest = failedAfterMs.stream().mapToLong(Long::longValue).max().orElseThrow();

        report.metric("exhaustion_timeout_error_ms", latest - TIMEOUT.toMillis(), "ms",
                "How long after connectionTimeout (" + TIMEOUT.toMillis() + " ms) the latest of " + WAITERS
                        + " borrowers of an exhausted pool of " + POOL + " failed.");
        assertThat(failedAfterMs).as("every borrower failed, none before the timeout, none later than ε = %d ms after it", EPSILON_MS)
                .hasSize(WAITERS).allSatisfy(ms -> assertThat(ms).isBetween(TIMEOUT.toMillis(), TIMEOUT.toMillis() + EPSILON_MS));
        assertThat(messages).allSatisfy(message -> assertThat(message)
                .containsPattern("request timed out after \\d+ms \\(total=4, active=4, idle=0, waiting=\\d+\\)"));
    }

    @Experiment
    void aShortTimeoutTurnsALatencyDisasterIntoBoundedErrors(Scale scale, LabReport report) throws Exception {
        Duration phase = scale.pick(Duration.ofMillis(1_500), Duration.ofSeconds(10));
        double rate = 100;
        ReportTable table = ReportTable.of("Pool of " + POOL + " at " + (int) rate + " requests/s; hold 10, 30 then 80 ms ("
                + phase.toMillis() / 1000.0 + " s each): λ·W = 1, 3, then 8 connections", "connectionTimeout", "succeeded", "failed",
                "p50 (ms)", "p99 (ms)", "max (ms)");
        var throughput = report.line("exhaustion-over-time.png", "Raising the hold time past the pool: successes over time",
                "time (s)", "successful requests (per s)");
        var latency = report.line("exhaustion-latency.png", "Raising the hold time past the pool: p99 latency over time",
                "time (s)", "p99 latency (ms, log scale)").logY();
        for (Duration timeout : List.of(Duration.ofSeconds(30), TIMEOUT)) {
            try (HikariDataSource pool = PoolingMathFixture.filledPool(POOL, config -> config.setConnectionTimeout(timeout.toMillis()))) {
                OpenLoopResult result = LoadRunner.atRate(rate).duration(phase.multipliedBy(3)).timeline(Duration.ofMillis(250))
                        .drainTimeout(Duration.ofSeconds(90))
                        .run(sequence -> hold(pool, holdSeconds(sequence / rate, phase)));
                String label = "connectionTimeout " + timeout.toMillis() + " ms";
                table.row(timeout.toMillis() + " ms", result.successes(), result.errors(), result.latency().p50Ms(),
                        result.latency().p99Ms(), result.latency().maxMs());
                double[] seconds = result.timeline().stream().mapToDouble(OpenLoopResult.Bucket::startSeconds).toArray();
                throughput.series(label, seconds, result.timeline().stream().mapToDouble(bucket -> bucket.successes() * 4.0).toArray());
                latency.series(label, seconds,
                        result.timeline().stream().mapToDouble(bucket -> Math.max(1, bucket.latency().p99Ms())).toArray());
                assertThat(result.completed()).as("every request ran").isEqualTo(result.scheduled());
            }
        }
        report.table(table);
    }

    /** 10 ms, then 30 ms, then 80 ms, by which phase the request was meant to start in. */
    private static double holdSeconds(double startSeconds, Duration phase) {
        double phases = startSeconds / (phase.toMillis() / 1_000.0);
        return phases < 1 ? 0.010 : phases < 2 ? 0.030 : 0.080;
    }

    private static void hold(HikariDataSource pool, double seconds) throws Exception {
        try (Connection connection = pool.getConnection(); PreparedStatement sleep = connection.prepareStatement("SELECT pg_sleep(?)")) {
            sleep.setDouble(1, seconds);
            sleep.execute();
        }
    }
}
