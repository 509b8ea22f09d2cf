package dev.backendlabs.ratelimit;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Clock;
import java.util.List;

/**
 * The limiters the hot-key experiment and {@code RateLimiterBenchmark} compare, built the same way
 * for both, so that the benchmark measures what the experiment measured.
 */
public enum LimiterVariant {

    /** EVALSHA of a script that only returns 1, with the same key and arguments: the ceiling of any one-script limiter. */
    EVALSHA_CEILING("evalsha-ceiling") {
        @Override
        public RateLimiter create(JedisPool pool, BucketPolicy policy) {
            LuaScript ceiling = LuaScript.of("return 1");
            try (Jedis jedis = pool.getResource()) {
                ceiling.load(jedis);
            }
            List<String> policyArgs = List.of(Long.toString(policy.capacity()), policy.rateArgument());
            return (key, cost) -> {
                try (Jedis jedis = pool.getResource()) {
                    ceiling.run(jedis, List.of(key), List.of(policyArgs.get(0), policyArgs.get(1), Long.toString(cost)), () -> { });
                    return null;
                }
            };
        }
    },

    /** The lab's limiter: one EVALSHA of {@code token_bucket.lua} per decision. */
    LUA_TOKEN_BUCKET("lua") {
        @Override
        public RateLimiter create(JedisPool pool, BucketPolicy policy) {
            return TokenBucketRateLimiter.builder(policy).pool(pool).build();
        }
    },

    /** The same limit kept as one number: one EVALSHA of {@code gcra.lua} per decision. */
    GCRA("gcra") {
        @Override
        public RateLimiter create(JedisPool pool, BucketPolicy policy) {
            return GcraRateLimiter.builder(policy).pool(pool).build();
        }
    },

    /** The sliding log with the bucket's quota (capacity per time to fill): a sorted set per key, one member per admission. */
    SLIDING_LOG("sliding-log") {
        @Override
        public RateLimiter create(JedisPool pool, BucketPolicy policy) {
            return SlidingWindowLogRateLimiter.builder(WindowPolicy.sameQuotaAs(policy)).pool(pool).build();
        }
    },

    /** Cloudflare's sliding counter with the bucket's quota: two fixed-window counts per key, one EVALSHA. */
    SLIDING_COUNTER("sliding-counter") {
        @Override
        public RateLimiter create(JedisPool pool, BucketPolicy policy) {
            return SlidingWindowCounterRateLimiter.builder(WindowPolicy.sameQuotaAs(policy)).pool(pool).build();
        }
    },

    /** The naive fixed window with the bucket's quota: INCRBY, and PEXPIRE on a window's first request; the application's clock. */
    FIXED_WINDOW("fixed-window") {
        @Override
        public RateLimiter create(JedisPool pool, BucketPolicy policy) {
            WindowPolicy quota = WindowPolicy.sameQuotaAs(policy);
            return new FixedWindowRateLimiter(pool, quota.limit(), quota.window(), Clock.systemUTC());
        }
    },

    /** Bucket4j's Jedis backend: read, compute in the JVM, compare-and-swap, retried on conflict. */
    BUCKET4J("bucket4j") {
        @Override
        public RateLimiter create(JedisPool pool, BucketPolicy policy) {
            return new Bucket4jRateLimiter(pool, policy);
        }
    };

    private final String label;

    LimiterVariant(String label) {
        this.label = label;
    }

    /** The name in tables and charts. */
    public String label() {
        return label;
    }

    /** Whether each decision is one EVALSHA, whose server time INFO commandstats reports. */
    public boolean usesEvalsha() {
        return this != FIXED_WINDOW && this != BUCKET4J;
    }

    /** A limiter with {@code policy} on {@code pool}, which the caller owns and closes. */
    public abstract RateLimiter create(JedisPool pool, BucketPolicy policy);
}
