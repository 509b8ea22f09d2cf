package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two application servers share a bucket; one's clock runs 5 s ahead (NTP trouble, a paused VM).
 * A limiter that refills by the caller's clock and stamps the state with it credits the skew as
 * elapsed time on every switch from the slow server to the fast one; the Lua bucket reads Redis
 * TIME and does not care whose request it is.
 * Requests alternate between the servers, one at a time, so no concurrency is involved.
 */
@Lab("rate-limiter")
class ClockSkewTest {

    private static final BucketPolicy POLICY = BucketPolicy.perSecond(10, 1);
    private static final int REQUESTS = 100;

    @Test
    void clientClockSkewOverAdmitsWhileTheServerClockDoesNot(RedisBackend redis, LabNamespace namespace, LabReport report) {
        try (JedisPool pool = redis.newPool(new JedisPoolConfig(), Duration.ofSeconds(2));
             TokenBucketRateLimiter luaOnServerA = TokenBucketRateLimiter.builder(POLICY).pool(pool).build();
             TokenBucketRateLimiter luaOnServerB = TokenBucketRateLimiter.builder(POLICY).pool(pool).build()) {
            Clock accurate = Clock.systemUTC();
            Clock ahead = Clock.offset(accurate, Duration.ofSeconds(5));
            List<RateLimiter> clientClock = List.of(
                    new ReadModifyWriteRateLimiter(pool, POLICY, accurate), new ReadModifyWriteRateLimiter(pool, POLICY, ahead));
            List<RateLimiter> serverClock = List.of(luaOnServerA, luaOnServerB);

            long start = Hammer.serverMicros(pool);
            long clientClockAdmitted = alternate(clientClock, namespace.redisKey("skew", "client", UUID.randomUUID().toString()));
            long serverClockAdmitted = alternate(serverClock, namespace.redisKey("skew", "server", UUID.randomUUID().toString()));
            double bound = POLICY.admissionBound((Hammer.serverMicros(pool) - start) / 1e6);

            report.metric("client_clock_skew_admitted", clientClockAdmitted, "requests",
                    "Admitted of " + REQUESTS + " alternating requests by the client-clock limiter with one server 5 s ahead (bound "
                            + (long) bound + ").");
            report.metric("server_clock_skew_admitted", serverClockAdmitted, "requests", "The same for the Lua bucket on Redis TIME.");
            assertThat(clientClockAdmitted).as("client-clock limiter, bound %.1f", bound).isGreaterThan((long) bound);
            assertThat(serverClockAdmitted).as("Lua bucket on Redis TIME").isLessThanOrEqualTo((long) bound);
        }
    }

    private static long alternate(List<RateLimiter> servers, String key) {
        long admitted = 0;
        for (int i = 0; i < REQUESTS; i++) {
            if (servers.get(i % 2).tryAcquire(key).allowed()) {
                admitted++;
            }
        }
        return admitted;
    }
}
