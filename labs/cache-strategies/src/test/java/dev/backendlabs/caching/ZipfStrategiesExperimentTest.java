package dev.backendlabs.caching;

import dev.backendlabs.caching.CacheStrategiesFixture.Request;
import dev.backendlabs.caching.CacheStrategiesFixture.Snapshot;
import dev.backendlabs.caching.CacheStrategiesFixture.Workload;
import dev.backendlabs.caching.CacheStrategiesFixture.Zipf;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.backend.RunningServer;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.load.OpenLoopRunner;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.ToDoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every strategy under the same open-loop Zipf workload over the 100,000 products: reads at
 * {@value #READS_PER_SECOND}/s and writes (price changes) at {@value #WRITES_PER_SECOND}/s — 5 % —
 * as two Poisson streams, with the real database behind. Redis is private, with memory for about
 * 10 % of the products ({@code allkeys-lru}); the L1 holds 1 % ({@value #L1_SIZE} products).
 *
 * <p>Every strategy starts from the same state and gets the same requests, in the same order. A
 * cache this size needs minutes of such traffic to reach its steady state, so before each cell
 * Redis is emptied and filled by a pipelined replay of {@value #REPLAY} requests of the workload
 * (another seed), and the L1 of the two-tier cache reads the 1,000 most popular products once;
 * then 0.3 s of unmeasured traffic, then the measured stretch — 1 s at the quick scale, 10 s at
 * the full scale.
 *
 * <p>A cell of 1 s holds ~770 reads, so its p99 is about the 8th-slowest read, and one stall of the
 * shared machine decides it. So the strategies are measured in interleaved rounds (each round visits
 * every strategy, in an order rotated by one per round, with the same requests), and a strategy's
 * p50 and p99 are the medians of its rounds: a stall spoils one round of one strategy, not the
 * comparison. Three rounds at s = 1.1, where the latency metrics come from; one at s = 0.8 at the
 * quick scale (three at the full scale).
 */
@Lab
class ZipfStrategiesExperimentTest {

    static final int READS_PER_SECOND = 760;
    static final int WRITES_PER_SECOND = 40;
    static final int L1_SIZE = 1_000;
    /** Requests in flight at most, per stream (arrivals beyond are dropped and counted). */
    private static final int MAX_IN_FLIGHT = 200;
    private static final int CONNECTIONS = 32;
    private static final Duration WARM_UP = Duration.ofMillis(300);
    private static final int REPLAY = 60_000;
    private static final double[] SKEWS = {0.8, 1.1};
    private static final int STEEP = 1;

    /** One strategy at one skew. */
    private record Cell(OpenLoopResult reads, OpenLoopResult writes, long databaseReads, long databaseWrites, double l1HitRatio,
                        long redisFailures) {

        double databaseQueriesPerSecond() {
            return (databaseReads + databaseWrites) * 1e9 / reads.elapsed().toNanos();
        }
    }

    @Experiment
    void strategiesUnderAZipfWorkloadWithFivePercentWrites(Scale scale, LabReport report) throws Exception {
        Duration measured = scale.pick(Duration.ofSeconds(1), Duration.ofSeconds(10));
        Snapshot snapshot = CacheStrategiesFixture.snapshot();
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        CachePolicy policy = CacheStrategiesFixture.policy("zipf", Duration.ofMinutes(10), Duration.ofMinutes(1));
        TwoTierCache.L1Policy l1 = new TwoTierCache.L1Policy(L1_SIZE, Duration.ofSeconds(30));
        Set<Long> written = ConcurrentHashMap.newKeySet();
        Map<CacheStrategy, List<List<Cell>>> cells = new EnumMap<>(CacheStrategy.class);
        for (CacheStrategy strategy : CacheStrategy.values()) {
            cells.put(strategy, List.of(new ArrayList<>(), new ArrayList<>()));
        }
        try (RunningServer<RedisBackend> server = Backends.newRedis();
             JedisPool pool = CacheStrategiesFixture.jedisPool(server.backend(), CONNECTIONS);
             Jedis admin = server.backend().connect()) {
            CacheStrategiesFixture.connectAll(pool, CONNECTIONS);
            CacheStrategiesFixture.limitMemoryToKeys(admin, CacheStrategiesFixture.PRODUCTS / 10, policy::key, snapshot::entry,
                    policy.ttl(), "allkeys-lru");
            for (int s = 0; s < SKEWS.length; s++) {
                Zipf zipf = new Zipf(CacheStrategiesFixture.PRODUCTS, SKEWS[s]);
                Request[] replay = new Workload(zipf, 0.05, 10 + s).take(REPLAY);
                int rounds = s == STEEP ? 3 : scale.pick(1, 3);
                for (int round = 0; round < rounds; round++) {
                    CacheStrategy[] order = CacheStrategy.values();
                    Collections.rotate(Arrays.asList(order), round);
                    for (CacheStrategy strategy : order) {
                        admin.flushAll();
                        snapshot.refresh(database, written);
                        written.clear();
                        CacheStrategiesFixture.replay(admin, replay, policy::key, snapshot::entry, policy.ttl(), REPLAY);
                        ProductCatalog catalog = strategy.open(database, pool, policy, l1,
                                CacheStrategiesFixture.NAMESPACE.redisKey("zipf-invalidations"), server.backend()::connect);
                        try {
                            if (catalog instanceof TwoTierCache twoTier) {
                                for (int rank = 1; rank <= L1_SIZE; rank++) {
                                    twoTier.find(zipf.productId(rank));
                                }
                            }
                            run(catalog, zipf, WARM_UP, 100 + s + 10 * round, written, database);
                            cells.get(strategy).get(s).add(run(catalog, zipf, measured, 200 + s + 10 * round, written, database));
                        } finally {
                            if (catalog instanceof AutoCloseable closeable) {
                                closeable.close();
                            }
                        }
                    }
                }
            }
        }
        record(report, cells, measured);
        assertThat(cells.values()).as("every strategy ran at both skews")
                .allSatisfy(bySkew -> assertThat(bySkew).allSatisfy(rounds -> assertThat(rounds).isNotEmpty()));
    }

    // region cell
    /** Reads and writes as two open-loop Poisson streams for {@code duration}; what the database saw meanwhile. */
    private static Cell run(ProductCatalog catalog, Zipf zipf, Duration duration, long seed, Set<Long> written, ProductRepository database)
            throws Exception {
        Request[] reads = new Workload(zipf, 0, seed).take((int) (READS_PER_SECOND * duration.toMillis() / 1000 * 2));
        Request[] writes = new Workload(zipf, 0, seed + 1_000).take((int) (WRITES_PER_SECOND * duration.toMillis() / 1000 * 2) + 10);
        double l1HitsBefore = catalog instanceof TwoTierCache twoTier ? twoTier.l1Stats().hitCount() : 0;
        double l1RequestsBefore = catalog instanceof TwoTierCache twoTier ? twoTier.l1Stats().requestCount() : 0;
        long databaseReads = database.reads();
        long databaseWrites = database.writes();
        long redisFailures = redisFailures(catalog);
        try (ExecutorService streams = Executors.newFixedThreadPool(2)) {
            CompletableFuture<OpenLoopResult> writing = CompletableFuture.supplyAsync(() -> openLoop(WRITES_PER_SECOND, duration, seed,
                    sequence -> {
                        long id = writes[(int) sequence].productId();
                        written.add(id);
                        catalog.updatePrice(id, 100 + sequence);
                    }), streams);
            OpenLoopResult reading = openLoop(READS_PER_SECOND, duration, seed + 1,
                    sequence -> catalog.find(reads[(int) sequence].productId()).orElseThrow());
            OpenLoopResult writingResult = writing.get();
            double l1Hit = catalog instanceof TwoTierCache twoTier
                    ? (twoTier.l1Stats().hitCount() - l1HitsBefore) / (twoTier.l1Stats().requestCount() - l1RequestsBefore) : 0;
            return new Cell(reading, writingResult, database.reads() - databaseReads, database.writes() - databaseWrites, l1Hit,
                    redisFailures(catalog) - redisFailures);
        }
    }
    // endregion

    /** Redis calls that failed or timed out (answered by the database instead); none without Redis. */
    private static long redisFailures(ProductCatalog catalog) {
        return switch (catalog) {
            case RedisCatalog redis -> redis.metrics().redisFailures();
            case TwoTierCache twoTier -> redisFailures(twoTier.l2());
            default -> 0;
        };
    }

    private static OpenLoopResult openLoop(int perSecond, Duration duration, long seed, OpenLoopRunner.Request request) {
        try {
            return LoadRunner.atRate(perSecond).duration(duration).poisson(seed).maxConcurrency(MAX_IN_FLIGHT).run(request);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The median of {@code metric} over a strategy's rounds. */
    private static double median(List<Cell> rounds, ToDoubleFunction<Cell> metric) {
        return CacheStrategiesFixture.median(rounds.stream().mapToDouble(metric).toArray());
    }

    private static double p50Micros(Cell cell) {
        return cell.reads().latency().p50Ms() * 1000;
    }

    private static double p99Micros(Cell cell) {
        return cell.reads().latency().p99Ms() * 1000;
    }

    private static void record(LabReport report, Map<CacheStrategy, List<List<Cell>>> cells, Duration measured) {
        ReportTable table = ReportTable.of("Strategies under Zipf reads (" + READS_PER_SECOND + "/s) and writes (" + WRITES_PER_SECOND
                        + "/s), open loop, " + measured.toMillis() + " ms measured per cell and round; latencies are medians of the rounds",
                "skew s", "strategy", "rounds", "hit ratio", "L1 hit ratio", "read p50 (µs)", "read p99 (µs)",
                "read p99 of each round (µs)", "database queries/s", "reads", "read errors", "dropped", "Redis failures", "write p99 (µs)");
        List<String> names = new ArrayList<>();
        for (CacheStrategy strategy : cells.keySet()) {
            names.add(strategy.label());
        }
        for (int s = 0; s < SKEWS.length; s++) {
            List<Double> p99 = new ArrayList<>();
            List<Double> load = new ArrayList<>();
            for (Map.Entry<CacheStrategy, List<List<Cell>>> row : cells.entrySet()) {
                List<Cell> rounds = row.getValue().get(s);
                long reads = rounds.stream().mapToLong(cell -> cell.reads().completed()).sum();
                long databaseReads = rounds.stream().mapToLong(Cell::databaseReads).sum();
                double databaseLoad = rounds.stream().mapToDouble(Cell::databaseQueriesPerSecond).average().orElseThrow();
                table.row(SKEWS[s], row.getKey().label(), rounds.size(), 1 - (double) databaseReads / reads,
                        rounds.stream().mapToDouble(Cell::l1HitRatio).average().orElseThrow(),
                        median(rounds, ZipfStrategiesExperimentTest::p50Micros), median(rounds, ZipfStrategiesExperimentTest::p99Micros),
                        rounds.stream().map(cell -> Math.round(p99Micros(cell))).toList().toString(), databaseLoad, reads,
                        rounds.stream().mapToLong(cell -> cell.reads().errors()).sum(),
                        rounds.stream().mapToLong(cell -> cell.reads().dropped() + cell.writes().dropped()).sum(),
                        rounds.stream().mapToLong(Cell::redisFailures).sum(),
                        median(rounds, cell -> cell.writes().latency().p99Ms() * 1000));
                p99.add(median(rounds, ZipfStrategiesExperimentTest::p99Micros));
                load.add(databaseLoad);
            }
            report.bars("read-p99-by-strategy.png", "Read p99 by strategy (median of rounds), Zipf reads with 5 % writes, open loop",
                    "strategy (cache)", "read p99 (µs)").series("s = " + SKEWS[s], names, p99);
            report.bars("database-load-by-strategy.png", "Database load by strategy, Zipf reads with 5 % writes", "strategy (cache)",
                    "database queries (queries/s)").series("s = " + SKEWS[s], names, load);
        }
        report.table(table);
        List<Cell> noCache = cells.get(CacheStrategy.NO_CACHE).get(STEEP);
        List<Cell> cacheAside = cells.get(CacheStrategy.CACHE_ASIDE).get(STEEP);
        List<Cell> twoTier = cells.get(CacheStrategy.L1_L2).get(STEEP);
        String rounds = " Median of " + cacheAside.size() + " interleaved rounds.";
        report.metric("p99_us_no_cache", median(noCache, ZipfStrategiesExperimentTest::p99Micros), "µs",
                "Read p99 without a cache, Zipf s = 1.1, reads and writes open loop (from each read's intended start)." + rounds);
        report.metric("p99_us_cache_aside", median(cacheAside, ZipfStrategiesExperimentTest::p99Micros), "µs",
                "Read p99 of cache-aside on Redis, same cells." + rounds);
        report.metric("p99_us_l1_l2", median(twoTier, ZipfStrategiesExperimentTest::p99Micros), "µs",
                "Read p99 of the Caffeine L1 over Redis, same cells." + rounds);
        report.metric("l1_l2_vs_cache_aside_p99_ratio", median(twoTier, ZipfStrategiesExperimentTest::p99Micros)
                        / median(cacheAside, ZipfStrategiesExperimentTest::p99Micros), "ratio",
                "L1 + L2 read p99 over Redis-only (cache-aside) read p99, s = 1.1, medians of the rounds.");
        report.metric("p50_us_cache_aside", median(cacheAside, ZipfStrategiesExperimentTest::p50Micros), "µs",
                "Read p50 of cache-aside on Redis, s = 1.1." + rounds);
        report.metric("p50_us_l1_l2", median(twoTier, ZipfStrategiesExperimentTest::p50Micros), "µs",
                "Read p50 of the Caffeine L1 over Redis, s = 1.1." + rounds);
        report.metric("l1_l2_vs_cache_aside_p50_ratio", median(twoTier, ZipfStrategiesExperimentTest::p50Micros)
                        / median(cacheAside, ZipfStrategiesExperimentTest::p50Micros), "ratio",
                "L1 + L2 read p50 over Redis-only (cache-aside) read p50, s = 1.1, medians of the rounds.");
        report.metric("db_queries_per_s_no_cache", noCache.stream().mapToDouble(Cell::databaseQueriesPerSecond).average().orElseThrow(),
                "queries/s", "Database queries per second without a cache (reads and writes), s = 1.1, mean of the rounds.");
        report.metric("db_queries_per_s_cache_aside",
                cacheAside.stream().mapToDouble(Cell::databaseQueriesPerSecond).average().orElseThrow(), "queries/s",
                "Database queries per second with cache-aside on Redis, s = 1.1, mean of the rounds.");
    }
}
