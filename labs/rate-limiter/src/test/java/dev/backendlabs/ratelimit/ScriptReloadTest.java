package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis forgets scripts on SCRIPT FLUSH, restart and failover. The limiter answers the next
 * NOSCRIPT by loading the script once and retrying, so the next decision still comes from Redis.
 */
@Lab
class ScriptReloadTest {

    @Test
    void nextDecisionSucceedsAfterScriptFlush(RedisBackend redis, LabNamespace namespace) {
        try (TokenBucketRateLimiter limiter = limiter(redis); Jedis jedis = redis.connect()) {
            String key = namespace.redisKey("reload", "flush");
            assertThat(limiter.tryAcquire(key).source()).isEqualTo(Decision.Source.REDIS);

            jedis.scriptFlush();
            Decision decision = limiter.tryAcquire(key);

            assertThat(decision.source()).isEqualTo(Decision.Source.REDIS);
            assertThat(decision.allowed()).isTrue();
            assertThat(decision.remaining()).as("10 - 2 tokens, plus what refilled since")
                    .isBetween(new java.math.BigDecimal("8"), new java.math.BigDecimal("8.999999"));
            assertThat(limiter.metrics().scriptReloads()).isEqualTo(1);
            assertThat(limiter.metrics().redisFailures()).isZero();
        }
    }

    @Test
    void nextDecisionSucceedsAfterARedisRestart(RedisBackend redis, LabNamespace namespace) {
        try (TokenBucketRateLimiter limiter = limiter(redis)) {
            String key = namespace.redisKey("reload", "restart");
            assertThat(limiter.tryAcquire(key).source()).isEqualTo(Decision.Source.REDIS);

            redis.stop();
            redis.start();
            Decision decision = limiter.tryAcquire(key);

            assertThat(decision.source()).as("decided by Redis, not by the failure policy").isEqualTo(Decision.Source.REDIS);
            assertThat(decision.allowed()).isTrue();
            assertThat(limiter.metrics().scriptReloads()).isEqualTo(1);
            assertThat(limiter.metrics().redisFailures()).isZero();
        }
    }

    /** A generous timeout: this test is about NOSCRIPT, not about time budgets on a freshly started server. */
    private static TokenBucketRateLimiter limiter(RedisBackend redis) {
        return TokenBucketRateLimiter.builder(BucketPolicy.perSecond(10, 1))
                .redis(new HostAndPort(redis.host(), redis.port()))
                .timeout(Duration.ofSeconds(1))
                .maxConnections(1)
                .build();
    }
}
