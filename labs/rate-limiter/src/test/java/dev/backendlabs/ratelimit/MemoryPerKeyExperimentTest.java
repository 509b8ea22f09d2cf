package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What one caller's key costs Redis: six limiters, one after the other, each on its own key and
 * sent 1,000 requests per second for 1.2 s (open loop), with a quota of 1,000 per second (the
 * buckets: capacity 1,000 at 1,000/s; the windows: 1,000 per 1 s), then {@code MEMORY USAGE} of
 * each key with {@code SAMPLES 0}, so that every member of a sorted set is counted. For the fixed
 * window, the larger of its current and previous window's keys.
 */
@Lab
class MemoryPerKeyExperimentTest {

    private static final int PER_SECOND = 1000;
    /** Longer than the windows' one second, so that the log holds a full window of admissions. */
    private static final Duration RUN = Duration.ofMillis(1200);

    private record Limiter(String name, RateLimiter limiter, String key) {
    }

    @Experiment
    void memoryPerKeyAtAThousandRequestsPerSecond(RedisBackend redis, LabNamespace namespace, LabReport report) throws Exception {
        BucketPolicy bucket = BucketPolicy.perSecond(PER_SECOND, PER_SECOND);
        WindowPolicy window = WindowPolicy.of(PER_SECOND, Duration.ofSeconds(1));
        try (JedisPool pool = redis.newPool(32, Duration.ofSeconds(2));
             TokenBucketRateLimiter tokenBucket = TokenBucketRateLimiter.builder(bucket).pool(pool).build();
             GcraRateLimiter gcra = GcraRateLimiter.builder(bucket).pool(pool).build();
             SlidingWindowLogRateLimiter log = SlidingWindowLogRateLimiter.builder(window).pool(pool).build();
             SlidingWindowCounterRateLimiter counter = SlidingWindowCounterRateLimiter.builder(window).pool(pool).build()) {
            List<Limiter> limiters = List.of(
                    new Limiter("token bucket", tokenBucket, key(namespace, "bucket")),
                    new Limiter("GCRA", gcra, key(namespace, "gcra")),
                    new Limiter("sliding log", log, key(namespace, "log")),
                    new Limiter("sliding counter", counter, key(namespace, "counter")),
                    new Limiter("fixed window", new FixedWindowRateLimiter(pool, PER_SECOND, window.window(), Clock.systemUTC()),
                            key(namespace, "fixed")),
                    new Limiter("Bucket4j", new Bucket4jRateLimiter(pool, bucket), key(namespace, "bucket4j")));

            ReportTable table = ReportTable.of("Memory per key after 1.2 s at 1,000 requests per second (MEMORY USAGE, SAMPLES 0)",
                    "limiter", "requests answered", "admitted", "bytes per key");
            try (Jedis jedis = redis.connect()) {
                for (Limiter each : limiters) {
                    LongAdder admitted = new LongAdder();
                    OpenLoopResult load = LoadRunner.atRate(PER_SECOND).duration(RUN).run(sequence -> {
                        if (each.limiter().tryAcquire(each.key()).allowed()) {
                            admitted.increment();
                        }
                    });
                    long bytes = bytes(jedis, each.key());
                    table.row(each.name(), load.successes(), admitted.sum(), bytes);
                    if (each.limiter() == tokenBucket) {
                        report.metric("token_bucket_bytes_per_key", bytes, "bytes",
                                "MEMORY USAGE of a token bucket's key (one string) after 1.2 s at 1,000 requests per second.");
                    } else if (each.limiter() == log) {
                        report.metric("sliding_log_bytes_per_key", bytes, "bytes",
                                "MEMORY USAGE of a sliding log's key (a sorted set, one member per admission in the last second)"
                                        + " after 1.2 s at 1,000 requests per second.");
                    }
                    assertThat(bytes).as("%s holds a key", each.name()).isPositive();
                    assertThat(load.errors()).as("%s, errors during the load: %s", each.name(), load.errorsByType()).isZero();
                }
            }
            report.table(table);
        }
    }

    private static String key(LabNamespace namespace, String limiter) {
        return namespace.redisKey("memory", limiter, UUID.randomUUID().toString());
    }

    /**
     * MEMORY USAGE of {@code key}; for the fixed window, which keeps one key per window under it ({@code key:<window>}), the larger of
     * the current and the previous window's.
     */
    private static long bytes(Jedis jedis, String key) {
        if (jedis.exists(key)) {
            return jedis.memoryUsage(key, 0);
        }
        long window = System.currentTimeMillis() / 1000;
        return LongStream.of(window, window - 1).mapToObj(index -> jedis.memoryUsage(key + ":" + index, 0))
                .filter(Objects::nonNull).mapToLong(Long::longValue).max().orElse(0);
    }
}
