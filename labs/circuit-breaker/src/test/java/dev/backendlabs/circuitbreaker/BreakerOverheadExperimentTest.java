package dev.backendlabs.circuitbreaker;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;

import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the breaker costs a call on one thread, on the lab's configuration: a direct call, a call through a CLOSED breaker,
 * and a rejection by an OPEN one. Each path runs in many short rounds, the paths interleaved so that they share the
 * machine's noise. On a machine shared with other work, preemption only ever adds time to a round, so the fastest round is
 * the closest to what a call costs; the median is reported beside it. The work is a constant, so the CLOSED minus DIRECT
 * difference is the breaker's own cost. A rough cut: {@code CircuitBreakerBenchmark} measures the same paths with JMH, at
 * 1, 4 and 16 threads, with allocation per call.
 */
@Lab
class BreakerOverheadExperimentTest {

    private static final int CALLS_PER_CHECK = 1_024;

    /** Keeps the results alive, so that the JIT cannot drop the calls. */
    private static volatile long sink;

    @Experiment
    void whatTheBreakerAddsToACall(Scale scale, LabReport report) {
        Duration warmUp = scale.pick(Duration.ofMillis(500), Duration.ofSeconds(3));
        Duration round = scale.pick(Duration.ofMillis(10), Duration.ofMillis(50));
        int rounds = scale.pick(41, 101);
        CircuitBreakerConfig config = CallPath.labConfig(SlidingWindowSynchronizationStrategy.SYNCHRONIZED);
        Map<CallPath, Supplier<Object>> paths = new EnumMap<>(CallPath.class);
        for (CallPath path : CallPath.values()) {
            paths.put(path, path.of(config, () -> "quote"));
            nanosPerCall(paths.get(path), warmUp);
        }
        Map<CallPath, double[]> samples = new EnumMap<>(CallPath.class);
        paths.keySet().forEach(path -> samples.put(path, new double[rounds]));
        for (int i = 0; i < rounds; i++) {
            for (CallPath path : CallPath.values()) {
                samples.get(path)[i] = nanosPerCall(paths.get(path), round);
            }
        }

        ReportTable table = ReportTable.of("ns per call, one thread, " + rounds + " rounds of " + round.toMillis() + " ms per path",
                "path", "fastest round", "median", "slowest round");
        Map<CallPath, Double> fastest = new EnumMap<>(CallPath.class);
        samples.forEach((path, values) -> {
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            fastest.put(path, sorted[0]);
            table.row(path, sorted[0], sorted[sorted.length / 2], sorted[sorted.length - 1]);
        });
        report.table(table);
        report.metric("breaker_overhead_ns", fastest.get(CallPath.CLOSED) - fastest.get(CallPath.DIRECT), "ns",
                "ns per call through a CLOSED breaker (lab configuration, SYNCHRONIZED window) minus a direct call, one thread,"
                        + " fastest of the rounds of each, measured by this experiment.");
        report.metric("breaker_rejection_ns", fastest.get(CallPath.OPEN) - fastest.get(CallPath.DIRECT), "ns",
                "The same for a call rejected by an OPEN breaker (CallNotPermittedException without a stack trace, caught).");

        assertThat(samples.values()).as("every path measured in every round")
                .allSatisfy(values -> assertThat(Arrays.stream(values).min().orElse(0)).isPositive());
    }

    /** Calls {@code path} for {@code budget}; nanoseconds per call. */
    private static double nanosPerCall(Supplier<Object> path, Duration budget) {
        long calls = 0;
        long alive = 0;
        long start = System.nanoTime();
        long end = start + budget.toNanos();
        long now;
        do {
            for (int i = 0; i < CALLS_PER_CHECK; i++) {
                alive += path.get() == null ? 0 : 1;
            }
            calls += CALLS_PER_CHECK;
            now = System.nanoTime();
        } while (now < end);
        sink = alive;
        return (double) (now - start) / calls;
    }
}
