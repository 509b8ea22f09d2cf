package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.report.Charts;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.knowm.xchart.XYChart;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Decisions per second and latency of every {@link LimiterVariant} — the Lua bucket, GCRA, the two
 * sliding windows, the fixed window, Bucket4j and the EVALSHA ceiling (a script that only returns
 * 1, same key and arguments, same pool) — at 1, 8 and 32 client threads, with a pool sized to the
 * thread count. The window limiters get the bucket's quota: its capacity per its time to fill.
 * Three workloads:
 *
 * <ul>
 *   <li><b>hot key, within limit</b> — one key whose quota is never reached, so every decision
 *       spends a token and writes: a big customer under its limit, the common case.</li>
 *   <li><b>hot key, over limit</b> — one key at 1,000/s hammered far above it: almost every
 *       decision is a denial, which Bucket4j answers with a read and no write.</li>
 *   <li><b>10,000 keys, within limit</b> — keys chosen by a fixed hash of the request number.</li>
 * </ul>
 *
 * Each cell runs for a fixed time after a warm-up, all in one run, so ratios compare like with
 * like on this machine; single-thread cells are the noisiest on a VM (see benchmarks/results). At
 * the quick scale a cell is 200 ms of warm-up and 500 ms of measurement, the 32-thread cells of
 * the hot key within limit (the ones most metrics and goals read) run three times, taking turns,
 * and keep their median,
 * and the 10,000-key workload runs at 32 threads only, so the lab stays within its time;
 * {@code -Dlabs.scale=full} runs every cell once for 3 s + 10 s.
 */
@Lab
class HotKeyThroughputExperimentTest {

    private static final int[] THREADS = {1, 8, 32};
    private static final int RANDOM_KEYS = 10_000;

    private record Workload(String name, BucketPolicy policy, boolean hotKey) {
    }

    /** A measured cell, with the server's own CPU time per EVALSHA (INFO commandstats) where the limiter uses EVALSHA. */
    private record Cell(LoadResult load, double serverMicrosPerEvalsha) {
    }

    private static final BucketPolicy NEVER_REACHED = BucketPolicy.perSecond(1_000_000_000, 1_000_000_000);
    private static final Workload WITHIN = new Workload("hot key, within limit", NEVER_REACHED, true);
    private static final Workload OVER = new Workload("hot key, over limit", BucketPolicy.perSecond(100, 1000), true);
    private static final Workload SPREAD = new Workload("10,000 keys, within limit", NEVER_REACHED, false);

    @Experiment
    void luaBucketAgainstBucket4jAndTheEvalshaCeiling(RedisBackend redis, LabNamespace namespace, Scale scale, LabReport report)
            throws Exception {
        Duration warmup = scale.pick(Duration.ofMillis(200), Duration.ofSeconds(3));
        Duration measure = scale.pick(Duration.ofMillis(500), Duration.ofSeconds(10));
        Map<String, LoadResult> cells = new HashMap<>();
        Map<String, Double> serverMicros = new HashMap<>();
        ReportTable table = ReportTable.of("Decisions per second (" + scale.label() + " scale, " + measure.toMillis() + " ms per cell;"
                        + " hot key within limit at 32 threads: the median of three)",
                "workload", "limiter", "threads", "decisions/s", "p50 (µs)", "p99 (µs)", "server µs per EVALSHA", "errors");

        for (Workload workload : List.of(WITHIN, OVER, SPREAD)) {
            for (int threads : workload == SPREAD ? scale.pick(new int[] {32}, THREADS) : THREADS) {
                // The cells the metrics read run three times, taking turns, and keep their median: a moment of starvation on
                // a shared machine then costs one round of one limiter, not the ratio.
                int rounds = threads == 32 && workload == WITHIN ? scale.pick(3, 1) : 1;
                Map<LimiterVariant, List<Cell>> measured = new EnumMap<>(LimiterVariant.class);
                for (int round = 0; round < rounds; round++) {
                    for (LimiterVariant variant : LimiterVariant.values()) {
                        measured.computeIfAbsent(variant, v -> new ArrayList<>())
                                .add(measure(redis, namespace, workload, variant, threads, warmup, measure));
                    }
                }
                measured.forEach((variant, runs) -> {
                    Cell cell = runs.stream().sorted(Comparator.comparingDouble(run -> run.load().throughputPerSecond()))
                            .toList().get(runs.size() / 2);
                    LoadResult result = cell.load();
                    String name = variant.label();
                    cells.put(workload.name() + "/" + name + "/" + threads, result);
                    serverMicros.put(workload.name() + "/" + name + "/" + threads, cell.serverMicrosPerEvalsha());
                    table.row(workload.name(), name, threads, Math.round(result.throughputPerSecond()),
                            result.latency().p50Ms() * 1000, result.latency().p99Ms() * 1000,
                            variant.usesEvalsha() ? cell.serverMicrosPerEvalsha() : "-", result.errors());
                });
            }
        }
        report.table(table);
        report.chart("decisions-by-threads.png", chart(WITHIN, cells));
        report.chart("decisions-by-threads-over-limit.png", chart(OVER, cells));

        LoadResult lua = cells.get(WITHIN.name() + "/lua/32");
        LoadResult bucket4j = cells.get(WITHIN.name() + "/bucket4j/32");
        LoadResult ceiling = cells.get(WITHIN.name() + "/evalsha-ceiling/32");
        report.metric("lua_decisions_per_s_hot_key", lua.throughputPerSecond(), "decisions/s",
                "Lua token bucket, one hot key within its limit, 32 client threads, pool of 32.");
        report.metric("bucket4j_decisions_per_s_hot_key", bucket4j.throughputPerSecond(), "decisions/s",
                "Bucket4j Jedis CAS backend, same key, policy, threads and pool.");
        report.metric("lua_vs_bucket4j_ratio", lua.throughputPerSecond() / bucket4j.throughputPerSecond(), "x",
                "Lua bucket decisions/s over Bucket4j's, hot key within limit, 32 threads.");
        report.metric("lua_vs_bucket4j_ratio_over_limit",
                cells.get(OVER.name() + "/lua/32").throughputPerSecond()
                        / cells.get(OVER.name() + "/bucket4j/32").throughputPerSecond(), "x",
                "The same ratio on a hot key far over its limit, where Bucket4j's denials are a single read.");
        report.metric("evalsha_ceiling_per_s", ceiling.throughputPerSecond(), "calls/s",
                "EVALSHA of 'return 1' with the same key and arguments through the same pool, 32 threads:"
                        + " the ceiling of any one-script limiter.");
        report.metric("lua_vs_ceiling_ratio", lua.throughputPerSecond() / ceiling.throughputPerSecond(), "ratio",
                "Share of the EVALSHA ceiling the Lua bucket reaches, hot key within limit, 32 threads.");
        report.metric("lua_server_us_per_decision", serverMicros.get(WITHIN.name() + "/lua/32"), "µs",
                "Redis CPU time per Lua decision (INFO commandstats usec_per_call of EVALSHA), hot key within limit, 32 threads.");
        report.metric("ceiling_server_us_per_call", serverMicros.get(WITHIN.name() + "/evalsha-ceiling/32"), "µs",
                "Redis CPU time per EVALSHA of 'return 1', same cell: what the bucket's own work costs on top.");
        LoadResult gcra = cells.get(WITHIN.name() + "/gcra/32");
        report.metric("gcra_decisions_per_s_hot_key", gcra.throughputPerSecond(), "decisions/s",
                "GCRA, same hot key, policy, threads and pool as the Lua bucket.");
        report.metric("gcra_vs_ceiling_ratio", gcra.throughputPerSecond() / ceiling.throughputPerSecond(), "ratio",
                "Share of the EVALSHA ceiling GCRA reaches, hot key within limit, 32 threads.");
        report.metric("gcra_server_us_per_decision", serverMicros.get(WITHIN.name() + "/gcra/32"), "µs",
                "Redis CPU time per GCRA decision (INFO commandstats usec_per_call of EVALSHA), hot key within limit, 32 threads.");
        report.metric("lua_p99_us", lua.latency().p99Ms() * 1000, "µs",
                "p99 decision latency of the Lua bucket, hot key within limit, 32 threads.");
        report.metric("bucket4j_p99_us", bucket4j.latency().p99Ms() * 1000, "µs", "p99 decision latency of Bucket4j, same cell.");

        assertThat(cells.values()).allSatisfy(cell -> assertThat(cell.operations()).isPositive());
        assertThat(cells.entrySet()).filteredOn(e -> !e.getKey().contains("bucket4j"))
                .allSatisfy(e -> assertThat(e.getValue().errors()).as(e.getKey()).isZero());
    }

    private static Cell measure(RedisBackend redis, LabNamespace namespace, Workload workload, LimiterVariant variant,
                                int threads, Duration warmup, Duration measure) throws InterruptedException {
        try (JedisPool pool = redis.newPool(threads, Duration.ofSeconds(2))) {
            RateLimiter limiter = variant.create(pool, workload.policy());
            String prefix = namespace.redisKey("throughput", variant.label(), workload.hotKey() ? "hot" : "spread",
                    Integer.toString(threads),
                    Long.toString(System.nanoTime()));
            LongFunction<String> keyOf = workload.hotKey()
                    ? sequence -> prefix
                    : sequence -> prefix + ":" + Math.floorMod(Long.hashCode(sequence * 0x9E3779B97F4A7C15L), RANDOM_KEYS);
            LoadRunner.workers(threads).duration(warmup).run((w, s) -> limiter.tryAcquire(keyOf.apply(s)));
            try (Jedis jedis = pool.getResource()) {
                jedis.configResetStat();
            }
            LoadResult load = LoadRunner.workers(threads).duration(measure).run((w, s) -> limiter.tryAcquire(keyOf.apply(s)));
            try (Jedis jedis = pool.getResource()) {
                return new Cell(load, evalshaMicrosPerCall(jedis.info("commandstats")));
            }
        }
    }

    /** {@code cmdstat_evalsha:calls=…,usec=…,usec_per_call=5.61,…} → 5.61; 0 when EVALSHA was not called. */
    private static double evalshaMicrosPerCall(String commandStats) {
        return commandStats.lines()
                .filter(line -> line.startsWith("cmdstat_evalsha:"))
                .flatMap(line -> java.util.Arrays.stream(line.substring(line.indexOf(':') + 1).split(",")))
                .filter(field -> field.startsWith("usec_per_call="))
                .mapToDouble(field -> Double.parseDouble(field.substring("usec_per_call=".length())))
                .findFirst()
                .orElse(0);
    }

    /** Decisions per second by client threads, one line per limiter variant, for one workload. */
    private static XYChart chart(Workload workload, Map<String, LoadResult> cells) {
        XYChart chart = Charts.line("Decisions per second, " + workload.name(), "client threads (log scale)", "throughput (decisions/s)");
        chart.getStyler().setXAxisLogarithmic(true);
        for (LimiterVariant variant : LimiterVariant.values()) {
            String name = variant.label();
            double[] x = new double[THREADS.length];
            double[] y = new double[THREADS.length];
            for (int i = 0; i < THREADS.length; i++) {
                x[i] = THREADS[i];
                y[i] = cells.get(workload.name() + "/" + name + "/" + THREADS[i]).throughputPerSecond();
            }
            chart.addSeries(name, x, y);
        }
        return chart;
    }
}
