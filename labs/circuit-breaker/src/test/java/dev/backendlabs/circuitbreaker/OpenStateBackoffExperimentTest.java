package dev.backendlabs.circuitbreaker;

import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.Dependency;
import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.StateTimeline;
import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.Timings;
import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.Transition;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.http.Latency;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.ChartSpec;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalFunction;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Recovery and flapping: a fixed wait in the open state against an exponential one (the same first wait, doubled after each
 * failed probe round), on a dependency that heals slowly. The dependency is healthy for 10 s, answers 503 to everything for
 * 10 s, then heals in eight steps of 5 s (87.5 % errors, 75 %, ... 0 %), then stays healthy for 20 s (the scale;
 * the quick scale runs it at 1/10). Both callers — {@link CircuitBreakerQuoteClient} with the lab's guards (but a 1 s time
 * limit), 100 quotes/s open-loop each, on dependencies of their own with the same seed — run at the same time through the
 * same schedule.
 */
@Lab
class OpenStateBackoffExperimentTest {

    private static final double RATE = 100;
    private static final int HEALING_STEPS = 8;

    /**
     * The dependency here fails fast (503), so the time limit is not what this experiment is about: 1 s at both scales keeps
     * it out of the way of a busy machine, where the quick scale's 100 ms was measured to fail healthy probes.
     */
    private static final Duration TIME_LIMIT = Duration.ofSeconds(1);

    /** The two open-state waits, from the same first wait. */
    enum OpenWait {
        FIXED("fixed wait"),
        EXPONENTIAL("exponential wait");

        private final String label;

        OpenWait(String label) {
            this.label = label;
        }

        IntervalFunction of(Duration first) {
            return this == FIXED ? IntervalFunction.of(first) : IntervalFunction.ofExponentialBackoff(first, 2, first.multipliedBy(16));
        }
    }

    /**
     * What one caller did; times from the start of the load.
     *
     * @param callsWhileHealing calls that reached the dependency from the start of its outage to the end of its healing
     */
    record Run(OpenWait openWait, OpenLoopResult load, List<Transition> transitions, long callsWhileHealing) {

        long count(CircuitBreaker.State from, CircuitBreaker.State to) {
            return transitions.stream().filter(t -> t.from() == from && t.to() == to).count();
        }
    }

    @Experiment
    void fixedAgainstExponentialOpenWaitOnASlowlyHealingDependency(Scale scale, LabReport report) throws Exception {
        Timings timings = Timings.of(scale);
        Duration step = timings.scaled(Duration.ofSeconds(5));
        Duration outageStart = step.multipliedBy(2);
        Duration healingStart = step.multipliedBy(4);
        Duration healed = healingStart.plus(step.multipliedBy(HEALING_STEPS));
        Duration total = healed.plus(step.multipliedBy(4));
        List<Run> runs;
        try (ExecutorService callers = Executors.newFixedThreadPool(2)) {
            List<Future<Run>> futures = List.of(OpenWait.values()).stream().map(wait -> callers.submit(
                    () -> run(wait, timings, step, total))).toList();
            runs = List.of(futures.get(0).get(), futures.get(1).get());
        }

        assertThat(runs).allSatisfy(run -> {
            assertThat(run.load().unfinished()).isZero();
            assertThat(run.load().completed() + run.load().dropped()).isEqualTo(run.load().scheduled());
            assertThat(run.transitions()).as("%s opened and recovered", run.openWait()).isNotEmpty();
            assertThat(run.transitions().getLast().to()).as("%s ended closed", run.openWait()).isEqualTo(CircuitBreaker.State.CLOSED);
        });

        ReportTable table = ReportTable.of("Healing in " + HEALING_STEPS + " steps of " + step.toMillis() + " ms after a "
                        + step.multipliedBy(2).toMillis() + " ms outage; first open wait " + firstWait(timings).toMillis() + " ms",
                "open wait", "openings from CLOSED", "failed probe rounds", "closings", "first closed at (ms after healing began)",
                "last closed at (ms after healing began)",
                "calls to the dependency, outage to healed", "quotes served while healing (%)", "quotes served, whole run (%)");
        for (Run run : runs) {
            Transition closed = run.transitions().getLast();
            Transition firstClosed = run.transitions().stream().filter(t -> t.to() == CircuitBreaker.State.CLOSED).findFirst()
                    .orElseThrow();
            table.row(run.openWait().label, run.count(CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN),
                    run.count(CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.OPEN),
                    run.count(CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.CLOSED),
                    (firstClosed.atNanos() - healingStart.toNanos()) / 1e6, (closed.atNanos() - healingStart.toNanos()) / 1e6,
                    run.callsWhileHealing(),
                    servedPercent(run.load(), healingStart, healed, timings.bucket()), run.load().successPercent());
            String suffix = run.openWait().name().toLowerCase(Locale.ROOT);
            report.metric("failed_probe_rounds_" + suffix, run.count(CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.OPEN), "rounds",
                    "HALF_OPEN to OPEN transitions, " + run.openWait().label + ", from the outage to the end of the run.");
            report.metric("recovered_ms_" + suffix, (closed.atNanos() - healingStart.toNanos()) / 1e6, "ms",
                    "From the start of the healing to the breaker's last CLOSED transition, " + run.openWait().label + ".");
        }
        report.table(table);
        ChartSpec states = report.line("open-wait-state-timeline.png", "Breaker state while the dependency heals, from resilience4j events",
                "time (s)", "state (0 closed, 1 half-open, 2 open)");
        ChartSpec served = report.line("open-wait-served-over-time.png", "Quotes served while the dependency heals (by arrival time)",
                "time (s)", "quotes answered 200 (%)");
        for (Run run : runs) {
            double[][] steps = CircuitBreakerFixture.steps(run.transitions(), total.toNanos() / 1e9);
            states.series(run.openWait().label, steps[0], steps[1]);
            served.series(run.openWait().label, run.load().timeline().stream().mapToDouble(OpenLoopResult.Bucket::startSeconds).toArray(),
                    run.load().timeline().stream().mapToDouble(OpenLoopResult.Bucket::successPercent).toArray());
        }

    }

    private static Run run(OpenWait wait, Timings timings, Duration step, Duration total) throws Exception {
        GuardSettings settings = new GuardSettings(TIME_LIMIT, CircuitBreakerFixture.MAX_CONCURRENT_CALLS, wait.of(firstWait(timings)),
                timings.retryWait());
        try (Dependency dependency = Dependency.start();
             CircuitBreakerQuoteClient client = new CircuitBreakerQuoteClient(dependency.quotes(), timings.clientTimeout(),
                     QuoteGuards.of("quotes", settings));
             ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1)) {
            dependency.downstream().latency(Latency.fixed(timings.normalLatency()));
            // Connections opened and code compiled before the clock starts: a cold client's first calls may outlast the time
            // limit on a busy machine. Not measured; the breaker starts the run afresh.
            for (int succeeded = 0, attempt = 0; succeeded < 50 && attempt < 500; attempt++) {
                try {
                    client.quote(new Sku("WARM-UP"));
                    succeeded++;
                } catch (QuoteFailedException coldOrRejected) {
                    // counted by no one: the breaker is reset below
                }
            }
            client.guards().breaker().reset();
            long origin = System.nanoTime();
            StateTimeline states = StateTimeline.of(client.guards().breaker(), origin);
            long[] callsAt = new long[2];
            for (int i = 2; i <= 4 + HEALING_STEPS; i++) {
                // Steps 2 and 3: every call fails. Steps 4 to 11: the error rate falls by 1/8 each step. From step 12: healthy.
                double errorRate = i < 4 ? 1.0 : (double) (4 + HEALING_STEPS - 1 - i) / HEALING_STEPS;
                int index = i;
                scheduler.schedule(() -> {
                    dependency.downstream().errors(503, Math.max(errorRate, 0));
                    if (index == 2) {
                        callsAt[0] = dependency.arrivals();
                    } else if (index == 4 + HEALING_STEPS) {
                        callsAt[1] = dependency.arrivals();
                    }
                }, step.multipliedBy(i).toNanos(), TimeUnit.NANOSECONDS);
            }
            OpenLoopResult load = LoadRunner.atRate(RATE).duration(total).timeline(timings.bucket())
                    .drainTimeout(timings.clientTimeout()).run(sequence -> client.quote(new Sku("BOOK-" + sequence % 100)));
            return new Run(wait, load, states.transitions(), callsAt[1] - callsAt[0]);
        }
    }

    /** The first open wait of both: 2 s at the scale, short against the healing, so that the fixed wait probes often. */
    private static Duration firstWait(Timings timings) {
        return timings.scaled(Duration.ofSeconds(2));
    }

    /** Successful quotes among those arriving from {@code from} to {@code to}, in percent (whole buckets). */
    private static double servedPercent(OpenLoopResult load, Duration from, Duration to, Duration bucket) {
        List<OpenLoopResult.Bucket> buckets = load.timeline().subList((int) (from.toNanos() / bucket.toNanos()),
                (int) (to.toNanos() / bucket.toNanos()));
        long arrivals = buckets.stream().mapToLong(OpenLoopResult.Bucket::arrivals).sum();
        return 100.0 * buckets.stream().mapToLong(OpenLoopResult.Bucket::successes).sum() / arrivals;
    }
}
