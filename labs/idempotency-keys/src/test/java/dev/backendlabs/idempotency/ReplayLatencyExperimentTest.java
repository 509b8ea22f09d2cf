package dev.backendlabs.idempotency;

import dev.backendlabs.idempotency.IdempotencyKeysFixture.Service;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.http.Latency;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LatencySummary;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.Charts;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;

import org.knowm.xchart.CategoryChart;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.PAYMENT;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a replay saves: {@code POST /payments} over HTTP with a provider that takes 50 ms, first with
 * new keys, then once more with each of those keys, at the same fixed arrival rate, each request timed
 * from its intended start. A first execution pays the claim, the provider and two more commits; a
 * replay pays the claim's insert (which conflicts) and one read.
 */
@Lab
class ReplayLatencyExperimentTest {

    private static final Duration PROVIDER_LATENCY = Duration.ofMillis(50);
    private static final double RATE = 40;
    private static final int WARM_UP = 500;

    @Experiment
    void firstExecutionAndReplayLatencyWithA50MsProvider(Scale scale, LabReport report) throws Exception {
        IdempotencyKeysFixture.truncate();
        Duration phase = scale.pick(Duration.ofSeconds(4), Duration.ofSeconds(30));
        String prefix = UUID.randomUUID() + "-";
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            // Unmeasured, on keys of their own, with an instant provider: both paths run until compiled. Sequential replays
            // on this machine took 4.4 ms (p50) over the first 300 requests, 3.0 over the next 300 and 1.2 over the 300 after.
            LoadRunner.workers(4).operations(WARM_UP).run((worker, sequence) -> {
                post(service, "warm-up-" + prefix + sequence, false);
                post(service, "warm-up-" + prefix + sequence, true);
            });
            provider.latency(Latency.fixed(PROVIDER_LATENCY));

            // Each phase's own charges: the provider's count includes the warm-up's.
            long chargesBefore = IdempotencyKeysFixture.charges(provider);
            OpenLoopResult first = LoadRunner.atRate(RATE).duration(phase).run(sequence -> post(service, prefix + sequence, false));
            long firstCharges = IdempotencyKeysFixture.charges(provider) - chargesBefore;
            OpenLoopResult replay = LoadRunner.atRate(RATE).duration(phase).run(sequence -> post(service, prefix + sequence, true));
            long replayCharges = IdempotencyKeysFixture.charges(provider) - chargesBefore - firstCharges;

            LatencySummary firstLatency = first.latency();
            LatencySummary replayLatency = replay.latency();
            report.metric("first_execution_p50_ms", firstLatency.p50Ms(), "ms",
                    "POST /payments with a new key and a 50 ms provider, p50 from the intended start at " + RATE + " requests/s.");
            report.metric("replay_p50_ms", replayLatency.p50Ms(), "ms",
                    "The same POSTs again (stored answer replayed), p50 at " + RATE + " requests/s.");
            report.metric("replay_speedup", firstLatency.p50Ms() / replayLatency.p50Ms(), "x", "first_execution_p50_ms / replay_p50_ms.");
            report.chart("first-execution-vs-replay.png", chart(firstLatency, replayLatency));
            report.table(ReportTable.of("First execution vs replay (" + RATE + " requests/s, 50 ms provider, " + scale.label() + " scale)",
                            "requests", "requests/s achieved", "p50 (ms)", "p90 (ms)", "p99 (ms)", "max (ms)",
                            "provider charges in the phase")
                    .row("first execution: " + first.completed(), first.achievedPerSecond(), firstLatency.p50Ms(), firstLatency.p90Ms(),
                            firstLatency.p99Ms(), firstLatency.maxMs(), firstCharges)
                    .row("replay: " + replay.completed(), replay.achievedPerSecond(), replayLatency.p50Ms(), replayLatency.p90Ms(),
                            replayLatency.p99Ms(), replayLatency.maxMs(), replayCharges));

            assertThat(first.errors() + replay.errors()).as("failed requests: %s %s", first.errorsByType(), replay.errorsByType()).isZero();
            assertThat(replay.completed()).isEqualTo(first.completed());
        }
    }

    /**
     * Bars per percentile on a log axis (52 ms next to 2 ms). Drawn here rather than declared through the report,
     * because bars on a log axis need their axis minimum above zero.
     */
    private static CategoryChart chart(LatencySummary first, LatencySummary replay) {
        CategoryChart chart = Charts.bars("POST /payments with a 50 ms provider: first execution vs replay", "percentile (of requests)",
                "latency from the intended start (ms, log scale)");
        List<String> percentiles = List.of("p50", "p90", "p99", "max");
        chart.addSeries("first execution", percentiles, List.of(first.p50Ms(), first.p90Ms(), first.p99Ms(), first.maxMs()));
        chart.addSeries("replay", percentiles, List.of(replay.p50Ms(), replay.p90Ms(), replay.p99Ms(), replay.maxMs()));
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(Math.min(first.p50Ms(), replay.p50Ms())))));
        return chart;
    }

    /** One POST; anything but a 201 that is (or is not) a replay counts as an error of the run. */
    private static void post(Service service, String key, boolean replay) throws Exception {
        HttpResponse<String> response = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);
        if (response.statusCode() != 201 || IdempotencyKeysFixture.replayed(response) != replay) {
            throw new IllegalStateException("Expected a " + (replay ? "replayed " : "") + "201, got " + response.statusCode());
        }
    }
}
