package dev.backendlabs.caching;

import dev.backendlabs.caching.CacheStrategiesFixture.ReplayResult;
import dev.backendlabs.caching.CacheStrategiesFixture.Request;
import dev.backendlabs.caching.CacheStrategiesFixture.Snapshot;
import dev.backendlabs.caching.CacheStrategiesFixture.Workload;
import dev.backendlabs.caching.CacheStrategiesFixture.Zipf;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.backend.RunningServer;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cache-aside's hit ratio on Redis with a memory limit of about 10 % of the 100,000 products and
 * {@code allkeys-lru}, under Zipf reads with 5 % writes, against Che's approximation of LRU for the
 * capacity Redis really reached (its {@code DBSIZE}), extended for writes that delete.
 *
 * <p>The cache is first filled by a pipelined replay of 100,000 requests of the same workload
 * (other seed) — what would otherwise take minutes of traffic. Then requests go through
 * {@link CacheAside} itself, open loop at {@value #PER_SECOND}/s: 2 s to settle, 4 s measured (30 s
 * at the full scale). The pace matters: Redis's LRU ranks keys by a clock that ticks once a
 * second, so when a cache this small turns over within a second — as it does at full pipeline
 * speed, the "replayed" column — keys used in the same second are evicted at random, and the hit
 * ratio falls toward the random-eviction model instead. At 4,000 requests/s a turnover takes 4 to
 * 10 s. The source is an in-memory copy of the catalog: a hit ratio does not depend on what a miss
 * costs. Redis, its eviction and the strategy's code are real.
 */
@Lab
class CacheAsideHitRatioTest {

    private static final double WRITE_SHARE = 0.05;
    private static final int WARM_UP = 100_000;
    private static final int PER_SECOND = 4_000;
    private static final Duration WARM_UP_PACED = Duration.ofSeconds(2);
    /** Points of hit ratio the measurement may differ from the model. */
    private static final double TOLERANCE_POINTS = 3;

    @Test
    void cacheAsideHitRatioMatchesChesApproximationWithinThreePoints(Scale scale, LabReport report) throws InterruptedException {
        Duration measured = scale.pick(Duration.ofSeconds(4), Duration.ofSeconds(30));
        Snapshot snapshot = CacheStrategiesFixture.snapshot();
        CachePolicy policy = CacheStrategiesFixture.policy("hit-ratio", Duration.ofHours(1), Duration.ofHours(1));
        ReportTable table = ReportTable.of("Cache-aside on Redis, allkeys-lru, memory for about 10 % of 100,000 products, 5 % writes",
                "skew s", "capacity (keys)", "measured hit ratio", "Che with writes", "error (points)", "replayed hit ratio",
                "random eviction with writes", "Che without writes", "top-k bound", "Redis failures");
        double worstError = 0;
        try (RunningServer<RedisBackend> server = Backends.newRedis();
             JedisPool pool = server.backend().newPool(8, Duration.ofSeconds(2)); // a hit ratio, not a latency budget
             Jedis admin = server.backend().connect()) {
            CacheStrategiesFixture.connectAll(pool, 8);
            CacheStrategiesFixture.limitMemoryToKeys(admin, CacheStrategiesFixture.PRODUCTS / 10, policy::key, snapshot::entry,
                    policy.ttl(), "allkeys-lru");
            for (double skew : new double[] {0.8, 1.1}) {
                Zipf zipf = new Zipf(CacheStrategiesFixture.PRODUCTS, skew);
                admin.flushAll();
                ReplayResult replayed = CacheStrategiesFixture.replay(admin, new Workload(zipf, WRITE_SHARE, 1).take(WARM_UP), policy::key,
                        snapshot::entry, policy.ttl(), WARM_UP / 2);
                CacheAside cache = new CacheAside(snapshot.asCatalog(), pool, policy);
                paced(cache, new Workload(zipf, WRITE_SHARE, 2), WARM_UP_PACED);
                long hits = cache.metrics().hits();
                long misses = cache.metrics().misses();
                paced(cache, new Workload(zipf, WRITE_SHARE, 3), measured);
                long measuredHits = cache.metrics().hits() - hits;
                double hitRatio = (double) measuredHits / (measuredHits + cache.metrics().misses() - misses);
                long capacity = admin.dbSize();
                double model = zipf.lruHitRatio(capacity, WRITE_SHARE);
                double error = Math.abs(hitRatio - model) * 100;
                worstError = Math.max(worstError, error);
                report.metric(skew == 1.1 ? "hit_ratio_cache_aside" : "hit_ratio_cache_aside_s08", hitRatio, "ratio",
                        "Cache-aside hit ratio of reads on Redis allkeys-lru, memory for about 10 % of the keys, Zipf s = " + skew
                                + ", 5 % writes; Che's approximation with writes predicts " + String.format("%.4f", model) + ".");
                table.row(skew, capacity, hitRatio, model, error, replayed.hitRatio(), zipf.randomHitRatio(capacity, WRITE_SHARE),
                        zipf.lruHitRatio(capacity, 0), zipf.topShare((int) capacity), cache.metrics().redisFailures());
            }
        }
        report.table(table);
        report.metric("zipf_hit_ratio_error_pts", worstError, "points",
                "Largest difference between measured cache-aside hit ratio and Che's approximation (with writes), s = 0.8 and 1.1.");
        assertThat(worstError).as("points off the model").isLessThanOrEqualTo(TOLERANCE_POINTS);
    }

    /** The workload through cache-aside at {@value #PER_SECOND} requests/s (open loop) for {@code duration}. */
    private static void paced(CacheAside cache, Workload workload, Duration duration) throws InterruptedException {
        Request[] requests = workload.take((int) (PER_SECOND * duration.toMillis() / 1000 * 3 / 2));
        LoadRunner.atRate(PER_SECOND).duration(duration).poisson(5).run(sequence -> {
            Request request = requests[(int) sequence];
            if (request.write()) {
                cache.updatePrice(request.productId(), sequence);
            } else {
                cache.find(request.productId());
            }
        });
    }
}
