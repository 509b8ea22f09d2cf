package dev.backendlabs.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.jedis.Bucket4jJedis;
import redis.clients.jedis.JedisPool;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A PEER, a library: Bucket4j's Jedis backend, configured with the same capacity and rate.
 *
 * <p>How it works: each attempt reads the serialized bucket, computes in the JVM, and writes it
 * back with a compare-and-swap script that fails if another client wrote first; a failed swap is
 * retried. That is correct (no over-admission), but it costs at least two round trips per
 * decision and, on a hot key, retries that grow with contention. The lab measures it against the
 * single-EVALSHA bucket in the same run.
 */
public final class Bucket4jRateLimiter implements RateLimiter {

    private final ProxyManager<byte[]> buckets;
    private final BucketConfiguration configuration;

    public Bucket4jRateLimiter(JedisPool pool, BucketPolicy policy) {
        Duration fill = policy.timeToFill();
        this.buckets = Bucket4jJedis.casBasedBuilder(pool)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(1)))
                .build();
        // "capacity tokens per time-to-fill", refilled greedily (continuously): the same rate as the Lua bucket.
        this.configuration = BucketConfiguration.builder()
                .addLimit(Bandwidth.builder().capacity(policy.capacity()).refillGreedy(policy.capacity(), fill).build())
                .build();
    }

    @Override
    public Decision tryAcquire(String key, long cost) {
        RateLimitArgumentException.checkRequest(key, cost);
        ConsumptionProbe probe = buckets.builder()
                .build(key.getBytes(StandardCharsets.UTF_8), () -> configuration)
                .tryConsumeAndReturnRemaining(cost);
        long retry = probe.isConsumed() ? -1 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(probe.getNanosToWaitForRefill()));
        return new Decision(probe.isConsumed(), BigDecimal.valueOf(probe.getRemainingTokens()), retry,
                TimeUnit.NANOSECONDS.toMillis(probe.getNanosToWaitForReset()), Decision.Source.REDIS);
    }
}
