package dev.backendlabs.retry;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.http.Latency;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.Charts;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.Metric;
import dev.backendlabs.shared.report.ReportTable;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A metastable failure, live. D has 10 workers of 100 ms each (100 requests/s on paper) and a queue of 50 (500 ms of
 * work) in which a request that waited more than 300 ms is still worked, then answered 503: overload costs D work. Its
 * callers give each attempt 500 ms. Users arrive open-loop (Poisson, seeded) at 90 % of the capacity D really has on this
 * machine, measured right before each run (see {@link #measureCapacity}), and never retry themselves; their one client
 * retries per the policy under test. The trigger: D's service time goes to 500 ms (a fifth of its capacity) for a while, then back.
 *
 * <p>The sustaining loop: once the queue is full, a request that gets in waits 500 ms + 100 ms, longer than its caller
 * waits, so nothing succeeds; every user request then makes all 4 of its attempts, offering D about 3.6 times its
 * capacity, which keeps the queue full. Nothing of the trigger is left after it ends except that loop.
 *
 * <p>Time scale: at the quick scale the trigger lasts 2 s, with 1 s of healthy load before and 4 s observed after (then
 * 2 s more of arrivals, not observed); at the full scale 5 s, with 5 s before and 15 s after (and 3 s). D and its callers
 * keep the same time constants at both scales. Every variant meets the same arrivals (one seed; the rate is 90 % of its
 * own measured capacity), the same trigger at the same moment, and a fresh D behind a fresh, warmed-up client.
 * "Recovered" means every observed 500 ms slice of arrivals from then on had at least 90 % of its requests succeed; the
 * time to recover is counted from the end of the trigger.
 */
@Lab
class MetastableFailureTest {

    private static final int WORKERS = 10;
    private static final Duration SERVICE_TIME = Duration.ofMillis(100);
    private static final int QUEUE_LIMIT = 50;
    private static final Duration QUEUE_TIMEOUT = Duration.ofMillis(300);
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(500);
    private static final double UTILISATION = 0.9;
    private static final int SPIKE = 5;
    private static final Duration SLICE = Duration.ofMillis(500);
    /** Healthy at 90 % load, before the trigger, every slice had 94-100 % of its requests succeed in the reference run. */
    private static final double RECOVERED_PERCENT = 90;
    private static final long SEED = 21;
    /**
     * How long the last arrivals may finish after the schedule ends. A naive call lasts at most 4 × 500 ms of attempts and
     * 3 × 500 ms of waits, 3.5 s, so every observed call has finished within the 2 s tail plus this; calls of the tail may
     * be cut short, which changes nothing observed.
     */
    private static final Duration DRAIN = Duration.ofMillis(1500);
    private static final ReportTable PHASES = ReportTable.of("Metastable failure: user requests that succeeded, by phase",
            "fix", "D's capacity (requests/s)", "users (requests/s)", "trigger (s)", "before (%)", "during (%)", "after (%)",
            "recovered after (s)", "requests on D per user request after");

    private static final Map<Fix, Run> RUNS = Collections.synchronizedMap(new EnumMap<>(Fix.class));


    @BeforeAll
    static void declareTable(LabReport report) {
        report.table(PHASES);
    }

    /** What each run changes, one thing at a time, from the naive client. */
    enum Fix {
        NAIVE("naive retries"),
        BACKOFF_JITTER("full-jitter backoff"),
        BUDGET("retry budget"),
        BREAKER("circuit breaker"),
        LOAD_SHEDDING("load shedding at D");

        private final String label;

        Fix(String label) {
            this.label = label;
        }

        // region fixes
        RetryPolicy policy() {
            RetryPolicy.Builder policy = RetryPolicy.builder("d").maxAttempts(4); // resilience4j's default: a fixed 500 ms wait
            if (this == BACKOFF_JITTER) {
                policy.backoff(new FullJitterBackoff(Duration.ofMillis(100), Duration.ofSeconds(2)), new Random(SEED));
            }
            if (this == BUDGET) {
                policy.allowance(new RetryBudget(10, 0.1));
            }
            if (this == BREAKER) {
                policy.circuitBreaker(CircuitBreaker.of("d", CircuitBreakerConfig.custom()
                        .slidingWindowSize(50).minimumNumberOfCalls(20).failureRateThreshold(50)
                        .waitDurationInOpenState(Duration.ofSeconds(1)).permittedNumberOfCallsInHalfOpenState(10)
                        .build()));
            }
            return policy.build(); // LOAD_SHEDDING keeps the naive client: D sheds (Downstream.shedExpired)
        }
        // endregion
    }

    /**
     * The scenario's clock: healthy load, the trigger, the time observed after it, and a tail of arrivals that is not
     * observed. The tail keeps the load on while the last observed users make their retries: when arrivals stop, D drains,
     * and their late retries would succeed for a reason that has nothing to do with recovery.
     */
    private record Timing(Duration before, Duration trigger, Duration after, Duration tail) {

        static Timing of(Scale scale) {
            return scale.pick(new Timing(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(2)),
                    new Timing(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(3)));
        }

        Duration arrivals() {
            return before.plus(trigger).plus(after).plus(tail);
        }

        double triggerStartSeconds() {
            return before.toMillis() / 1000.0;
        }

        double triggerEndSeconds() {
            return before.plus(trigger).toMillis() / 1000.0;
        }

        double observedEndSeconds() {
            return before.plus(trigger).plus(after).toMillis() / 1000.0;
        }
    }

    /** One run: the users' timeline by intended start, and D's arrivals and queue sampled every slice. */
    private record Run(Fix fix, Timing timing, double capacityPerSecond, OpenLoopResult load, List<Long> arrivalsOnD,
                       List<Integer> queueOnD) {

        /** The slices of arrivals that are observed (the tail is not). */
        List<OpenLoopResult.Bucket> observed() {
            return load.timeline().stream().filter(slice -> slice.startSeconds() < timing.observedEndSeconds()).toList();
        }

        /** Share of the requests that arrived in [from, to) seconds that succeeded, in percent. */
        double goodputPercent(double from, double to) {
            long arrivals = 0;
            long successes = 0;
            for (OpenLoopResult.Bucket slice : observed()) {
                if (slice.startSeconds() >= from && slice.startSeconds() < to) {
                    arrivals += slice.arrivals();
                    successes += slice.successes();
                }
            }
            return arrivals == 0 ? 100 : 100.0 * successes / arrivals;
        }

        double goodputAfterTriggerPercent() {
            return goodputPercent(timing.triggerEndSeconds(), timing.observedEndSeconds());
        }

        /** Seconds from the end of the trigger to the first slice from which every observed slice reached 90 %; empty if none did. */
        OptionalDouble recoverySeconds() {
            List<OpenLoopResult.Bucket> slices = observed();
            double end = timing.triggerEndSeconds();
            OptionalDouble recovered = OptionalDouble.empty();
            for (int i = slices.size() - 1; i >= 0 && slices.get(i).successPercent() >= RECOVERED_PERCENT; i--) {
                recovered = OptionalDouble.of(Math.max(0, slices.get(i).startSeconds() - end));
                if (slices.get(i).startSeconds() <= end) {
                    break;
                }
            }
            return recovered;
        }

        /** Requests reaching D per user request after the trigger. */
        double amplificationAfterTrigger() {
            int from = (int) (timing.triggerEndSeconds() * 1000 / SLICE.toMillis());
            int to = Math.min(arrivalsOnD.size() - 1, (int) (timing.observedEndSeconds() * 1000 / SLICE.toMillis()));
            long users = load.timeline().subList(from, to).stream().mapToLong(OpenLoopResult.Bucket::arrivals).sum();
            return (double) (arrivalsOnD.get(to) - arrivalsOnD.get(from)) / users;
        }
    }

    @Test
    void naiveRetriesKeepTheServiceDownLongAfterTheTriggerEnds(Scale scale, LabReport report) throws Exception {
        Run run = run(Fix.NAIVE, Timing.of(scale));

        boolean recovered = run.recoverySeconds().isPresent();
        report.metric("metastable_recovered_naive", recovered ? 1 : 0, "0 or 1",
                "Whether D recovered (every 500 ms slice >= 90 % success) after the trigger ended, with naive retries (4 attempts).");
        report.metric("metastable_goodput_after_trigger_naive_pct", run.goodputAfterTriggerPercent(), "%",
                "Share of the user requests arriving after the trigger ended that succeeded, naive retries.");
        assertThat(recovered).as("recovered").isFalse();
        // Measured on the busy 2-core machine: 0-2 %; healthy before the trigger: 100 %. (Requests arriving in the last
        // half second before the trigger still have retries to make when it starts.)
        assertThat(run.goodputAfterTriggerPercent()).isLessThan(10);
        assertThat(run.goodputPercent(0, run.timing().triggerStartSeconds() - 0.5)).as("healthy before the trigger")
                .isGreaterThan(95);
        assertRetriesKeepDOverloaded(run);
    }

    @Test
    void backoffWithJitterAloneDoesNotEndTheOverload(Scale scale, LabReport report) throws Exception {
        Run run = run(Fix.BACKOFF_JITTER, Timing.of(scale));

        recordRecovery(run, "recovery_s_backoff_jitter", report);
        report.metric("metastable_goodput_after_trigger_backoff_jitter_pct", run.goodputAfterTriggerPercent(), "%",
                "Share of the user requests arriving after the trigger ended that succeeded, full-jitter backoff alone.");
        assertThat(run.recoverySeconds()).isEmpty();
        // Measured: 0 % in every run.
        assertThat(run.goodputAfterTriggerPercent()).isLessThan(10);
        assertRetriesKeepDOverloaded(run);
    }

    /**
     * Why D stays down, asserted rather than inferred from the outcome: after the trigger D was sent more than it can
     * serve. The users alone send 90 % of D's capacity, so the queue of a D that works every request it admits shrinks
     * only while a user request costs it fewer than 1 / 0.9 = 1.11 requests. A client that makes every attempt of every
     * failed request costs it up to 4, however long it waits between them: backoff moves retries in time, it does not
     * remove any ({@code BackoffLengthSimulationTest} plays it out for waits of up to minutes). The table records the
     * value (reference run: 4.08 naive, 3.74 with full-jitter backoff); the bound is the scenario's arithmetic, not a
     * tolerance.
     */
    private static void assertRetriesKeepDOverloaded(Run run) {
        assertThat(run.amplificationAfterTrigger()).as("requests on D per user request after the trigger")
                .isGreaterThan(1 / UTILISATION);
    }

    @Test
    void aRetryBudgetLetsTheServiceRecover(Scale scale, LabReport report) throws Exception {
        assertRecovers(Fix.BUDGET, "recovery_s_budget", Timing.of(scale), report);
    }

    @Test
    void aCircuitBreakerLetsTheServiceRecover(Scale scale, LabReport report) throws Exception {
        assertRecovers(Fix.BREAKER, "recovery_s_breaker", Timing.of(scale), report);
    }

    @Test
    void sheddingExpiredRequestsAtTheServiceLetsItRecover(Scale scale, LabReport report) throws Exception {
        assertRecovers(Fix.LOAD_SHEDDING, "recovery_s_load_shedding", Timing.of(scale), report);
    }

    /**
     * The time to recover; a run that did not recover within the observed window records the window's length: a recovery
     * is found on a slice's start, so it is at most the window minus one slice, and the two cannot be confused.
     */
    private static void recordRecovery(Run run, String metric, LabReport report) {
        double observed = run.timing().after().toMillis() / 1000.0;
        report.metric(metric, run.recoverySeconds().orElse(observed), "s", "Seconds from the end of the "
                + run.timing().trigger().toSeconds() + " s trigger until every 500 ms slice had >= 90 % success, " + run.fix().label
                + " (" + Metric.format(observed) + " = not recovered within the " + Metric.format(observed) + " s observed).");
    }

    private static void assertRecovers(Fix fix, String metric, Timing timing, LabReport report) throws Exception {
        Run run = run(fix, timing);

        OptionalDouble recovery = run.recoverySeconds();
        recordRecovery(run, metric, report);
        assertThat(recovery).as("recovered").isPresent();
        assertThat(recovery.getAsDouble()).as("seconds to recover").isLessThanOrEqualTo(2.0 * timing.trigger().toMillis() / 1000);
    }

    private static Run run(Fix fix, Timing timing) throws Exception {
        try (Downstream d = Downstream.builder().seed(SEED).route("/d").start(); HttpClient http = RetryStormsFixture.httpClient()) {
            RetryStormsFixture.warmUp(d, "/d", http, 200);
            double capacityPerSecond = measureCapacity(d, http);
            d.reset().latency(Latency.fixed(SERVICE_TIME)).capacity(WORKERS, QUEUE_LIMIT, QUEUE_TIMEOUT)
                    .shedExpired(fix == Fix.LOAD_SHEDDING);
            HopClient client = HopClient.of(http, ATTEMPT_TIMEOUT, fix.policy());
            List<Long> arrivalsOnD = new CopyOnWriteArrayList<>();
            List<Integer> queueOnD = new CopyOnWriteArrayList<>();
            ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
            OpenLoopResult load;
            try {
                clock.scheduleAtFixedRate(() -> {
                    arrivalsOnD.add(d.stats("/d").arrivals());
                    queueOnD.add(d.queued());
                }, 0, SLICE.toMillis(), TimeUnit.MILLISECONDS);
                clock.schedule(() -> d.latency(Latency.fixed(SERVICE_TIME.multipliedBy(SPIKE))), timing.before().toMillis(),
                        TimeUnit.MILLISECONDS);
                clock.schedule(() -> d.latency(Latency.fixed(SERVICE_TIME)), timing.before().plus(timing.trigger()).toMillis(),
                        TimeUnit.MILLISECONDS);
                load = LoadRunner.atRate(Math.round(UTILISATION * capacityPerSecond)).duration(timing.arrivals()).poisson(SEED)
                        .timeline(SLICE).drainTimeout(DRAIN).run(sequence -> client.get(d.uri("/d")));
            } finally {
                clock.shutdownNow();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> d.stats("/d").inFlight() == 0);
            Run run = new Run(fix, timing, capacityPerSecond, load, arrivalsOnD, queueOnD);
            RUNS.put(fix, run);
            tabulate(run);
            return run;
        }
    }

    /**
     * What D serves per second when saturated, right now: the median of three 600 ms windows. D's capacity on paper is
     * 100/s; on a busy machine each 100 ms of work holds its worker longer (the sleep overshoots, the next request in the
     * queue wakes up late). Measured on the 2-core machine with other builds running (load average 15-30): 67 to 99/s,
     * changing from one minute to the next. Driving D at 90 % of the paper value would often drive it past 100 % of the
     * real one, where nothing recovers; so each run measures right before it starts and offers 90 % of that. The median
     * because one window can catch the whole machine stalled: a single 1.5 s window once measured 17/s.
     */
    private static double measureCapacity(Downstream d, HttpClient http) throws InterruptedException {
        d.latency(Latency.fixed(SERVICE_TIME)).capacity(WORKERS, 10 * WORKERS, Duration.ofSeconds(10));
        HttpRequest request = HttpRequest.newBuilder(d.uri("/d")).timeout(Duration.ofSeconds(10)).build();
        double[] windows = new double[3];
        for (int i = 0; i < windows.length; i++) {
            LoadResult saturated = LoadRunner.workers(3 * WORKERS).duration(Duration.ofMillis(600)).virtualThreads(true)
                    .run((worker, sequence) -> http.send(request, HttpResponse.BodyHandlers.discarding()));
            windows[i] = saturated.throughputPerSecond();
        }
        Arrays.sort(windows);
        return windows[1];
    }

    private static void tabulate(Run run) {
        double triggerStart = run.timing().triggerStartSeconds();
        PHASES.row(run.fix().label, run.capacityPerSecond(), run.load().offeredPerSecond(), run.timing().trigger().toSeconds(),
                run.goodputPercent(0, triggerStart),
                run.goodputPercent(triggerStart, run.timing().triggerEndSeconds()), run.goodputAfterTriggerPercent(),
                run.recoverySeconds().isPresent() ? run.recoverySeconds().getAsDouble() : "no", run.amplificationAfterTrigger());
    }

    /**
     * Drawn here rather than as declared charts so that the legend sits below the plot instead of over the healthy phase.
     * Rates are in percent of the capacity each run measured, so that runs on a machine of changing speed compare.
     */
    @AfterAll
    static void drawCharts(LabReport report) {
        if (RUNS.isEmpty()) {
            return;
        }
        Run any = RUNS.values().iterator().next();
        String when = "trigger from " + any.timing().triggerStartSeconds() + " s to " + any.timing().triggerEndSeconds() + " s";
        XYChart goodput = chart("Users served: offered load vs goodput (" + when + ")", "time (s, by intended start)",
                "requests (% of D's capacity)");
        XYChart onD = chart("Requests reaching D (" + when + ")", "time (s)", "requests on D (% of D's capacity)");
        XYChart queue = chart("Requests waiting in D's queue, limit " + QUEUE_LIMIT + " (" + when + ")", "time (s)", "queued (requests)");
        double[] seconds = any.observed().stream().mapToDouble(OpenLoopResult.Bucket::startSeconds).toArray();
        RUNS.forEach((fix, run) -> {
            double percent = 100 * (1000.0 / SLICE.toMillis()) / run.capacityPerSecond();
            goodput.addSeries(fix.label, seconds, run.observed().stream().mapToDouble(slice -> slice.successes() * percent).toArray());
            int samples = Math.min(seconds.length, run.arrivalsOnD().size() - 1);
            double[] at = IntStream.range(0, samples).mapToDouble(i -> i * SLICE.toMillis() / 1000.0).toArray();
            onD.addSeries(fix.label, at, IntStream.range(0, samples)
                    .mapToDouble(i -> (run.arrivalsOnD().get(i + 1) - run.arrivalsOnD().get(i)) * percent).toArray());
            queue.addSeries(fix.label, at, IntStream.range(0, samples).mapToDouble(i -> run.queueOnD().get(i)).toArray());
        });
        double percent = 100 * (1000.0 / SLICE.toMillis()) / any.capacityPerSecond();
        goodput.addSeries("offered", seconds, any.observed().stream().mapToDouble(slice -> slice.arrivals() * percent).toArray());
        report.chart("goodput-across-the-trigger.png", goodput);
        report.chart("load-on-d-across-the-trigger.png", onD);
        report.chart("queue-on-d-across-the-trigger.png", queue);
    }

    private static XYChart chart(String title, String xAxis, String yAxis) {
        XYChart chart = Charts.line(title, xAxis, yAxis);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal);
        return chart;
    }
}
