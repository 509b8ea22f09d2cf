package dev.backendlabs.idempotency;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LatencyRecorder;
import dev.backendlabs.shared.load.LatencySummary;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a key costs a local write: the bare insert, the single-transaction fast path, the two-commit
 * claim-and-complete path, and a replay, interleaved request by request in one open-loop run (same
 * arrivals, same pool, same table). Each variant's service time is recorded on its own (the runner
 * times the whole run from the intended starts; its dispatch lag, in the table's title, says how far
 * the two can differ).
 */
@Lab
class FastPathOverheadExperimentTest {

    private static final double RATE = 200;

    @Experiment
    void fastPathClaimAndReplayAgainstABareInsert(Scale scale, LabReport report) throws Exception {
        IdempotencyKeysFixture.truncate();
        IdempotencyVariant.Target target = new IdempotencyVariant.Target(IdempotencyKeysFixture.dataSource());
        IdempotencyVariant[] variants = IdempotencyVariant.values();
        Map<IdempotencyVariant, LatencyRecorder> latency = new EnumMap<>(IdempotencyVariant.class);
        for (IdempotencyVariant variant : variants) {
            latency.put(variant, new LatencyRecorder());
        }
        // Unmeasured: every variant's statements prepared and compiled, the pool's connections open.
        LoadRunner.atRate(RATE).duration(Duration.ofSeconds(1))
                .run(sequence -> variants[(int) (sequence % variants.length)].run(target, sequence));

        OpenLoopResult run = LoadRunner.atRate(RATE).duration(scale.pick(Duration.ofSeconds(5), Duration.ofSeconds(60))).run(sequence -> {
            IdempotencyVariant variant = variants[(int) (sequence % variants.length)];
            long start = System.nanoTime();
            ApiResponse answer = variant.run(target, 1_000_000 + sequence);
            latency.get(variant).recordSince(start);
            if (answer.status() != 201) {
                throw new IllegalStateException(variant + " answered " + answer.status());
            }
        });

        Map<IdempotencyVariant, LatencySummary> summary = new EnumMap<>(IdempotencyVariant.class);
        latency.forEach((variant, recorder) -> summary.put(variant, recorder.summary()));
        double bare = summary.get(IdempotencyVariant.BARE_INSERT).p50Ms();
        ReportTable table = ReportTable.of("One payment intent, by variant: service time (" + RATE + " requests/s interleaved, "
                + scale.label() + " scale, dispatcher at most " + run.maxDispatchLag().toMillis() + " ms late)",
                "variant", "requests", "p50 (ms)", "p99 (ms)", "p50 over the bare insert (ms)");
        summary.forEach((variant, stats) -> table.row(variant, stats.count(), stats.p50Ms(), stats.p99Ms(), stats.p50Ms() - bare));
        report.table(table);
        report.metric("fast_path_overhead_p50_ms", summary.get(IdempotencyVariant.FAST_PATH).p50Ms() - bare, "ms",
                "p50 of the single-transaction fast path (key + intent + answer) minus p50 of the bare insert, interleaved at " + RATE
                        + "/s.");

        assertThat(run.errors()).as("failed requests: %s", run.errorsByType()).isZero();
        assertThat(run.dropped()).isZero();
        assertThat(summary.values()).allMatch(stats -> stats.count() > 0);
    }
}
