package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPool;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A busy service has a warm pool: 16 connections, all idle between bursts. Redis restarts
 * (same port), and every one of them is now a dead socket. The first decision fails fast on one
 * and gets one retry; if that retry borrowed the next idle connection, it would fail the same way
 * and the failure policy would decide although Redis is up — a "blind" decision, and with 16
 * stale connections, up to 8 of them in a row. The limiter clears the idle connections before the
 * retry, so every decision after the restart comes from Redis.
 *
 * <p>The timeout is a generous 1 s: this test is about which connection the retry uses, not about
 * time budgets on a freshly started server.
 */
@Lab
class WarmPoolRestartTest {

    private static final int CONNECTIONS = 16;
    private static final int DECISIONS_AFTER_RESTART = 16;
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    @Test
    void everyDecisionAfterARestartComesFromRedisEvenWithAWarmPool(RedisBackend redis, LabNamespace namespace, LabReport report)
            throws Exception {
        try (JedisPool pool = redis.newPool(CONNECTIONS, TIMEOUT);
             TokenBucketRateLimiter limiter = TokenBucketRateLimiter.builder(BucketPolicy.perSecond(1_000_000, 1_000_000))
                     .pool(pool).timeout(TIMEOUT).build()) {
            String key = namespace.redisKey("restart", "warm");
            LoadRunner.workers(CONNECTIONS).operations(CONNECTIONS * 200L).run((worker, sequence) -> limiter.tryAcquire(key));
            assertThat(pool.getNumIdle()).as("a warm pool: every connection opened and idle").isEqualTo(CONNECTIONS);

            redis.stop();
            redis.start();
            long blind = 0;
            for (int i = 0; i < DECISIONS_AFTER_RESTART; i++) {
                if (limiter.tryAcquire(key).source() != Decision.Source.REDIS) {
                    blind++;
                }
            }

            report.metric("blind_decisions_after_restart", blind, "decisions",
                    "Of " + DECISIONS_AFTER_RESTART + " decisions right after a Redis restart, with " + CONNECTIONS
                            + " stale pooled connections, those the failure policy made although Redis was up.");
            assertThat(blind).isZero();
            assertThat(limiter.metrics().redisFailures()).isZero();
            assertThat(limiter.metrics().scriptReloads()).as("the restart forgot the script").isEqualTo(1);
        }
    }
}
