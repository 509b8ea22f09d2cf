package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two application servers share a bucket; one's clock runs 5 s ahead (NTP trouble, a paused VM).
 * Requests alternate between the servers, one at a time, so no concurrency is involved; each
 * limiter gets 100 requests on a fresh key, and its bound is {@code capacity + rate × elapsed}
 * with elapsed from Redis {@code TIME} around its own 100 requests.
 *
 * <ul>
 *   <li>The read-modify-write limiter refills by the caller's clock and stamps the state with it:
 *       every switch from the slow server to the fast one credits the 5 s again, so it admits more
 *       than even {@code bound + rate × skew}.</li>
 *   <li>The script with the skew applied — each server passes its own clock as the script's
 *       {@code now} (ARGV[4]) — credits the skew once: the state's stamp only moves forward, so
 *       the slow server's requests, behind the stamp, refill nothing. It admits more than the bound,
 *       by at most {@code rate × skew}: here exactly one token (the bucket was nearly full at the
 *       first switch, and refill stops at capacity).</li>
 *   <li>The limiter as shipped never sees an application clock — it reads Redis {@code TIME} — so
 *       the skew cannot reach it, by construction; it stays within the bound. This line shows the
 *       production path with two servers, not a defence against skew the script had to make.</li>
 * </ul>
 */
@Lab
class ClockSkewTest {

    private static final BucketPolicy POLICY = BucketPolicy.perSecond(10, 1);
    private static final Duration SKEW = Duration.ofSeconds(5);
    private static final int REQUESTS = 100;

    @Test
    void clientClockSkewOverAdmitsWhileTheServerClockDoesNot(RedisBackend redis, LabNamespace namespace, LabReport report) {
        try (JedisPool pool = redis.newPool(8, Duration.ofSeconds(2));
             TokenBucketRateLimiter luaOnServerA = TokenBucketRateLimiter.builder(POLICY).pool(pool).build();
             TokenBucketRateLimiter luaOnServerB = TokenBucketRateLimiter.builder(POLICY).pool(pool).build()) {
            Clock accurate = Clock.systemUTC();
            Clock ahead = Clock.offset(accurate, SKEW);
            double skewCredit = POLICY.refillPerSecond().doubleValue() * SKEW.toSeconds();

            Run readModifyWrite = alternate(pool, namespace, List.of(
                    new ReadModifyWriteRateLimiter(pool, POLICY, accurate), new ReadModifyWriteRateLimiter(pool, POLICY, ahead)));
            Run scriptOnClientClocks = alternate(pool, namespace, List.of(scriptWithClock(pool, accurate), scriptWithClock(pool, ahead)));
            Run scriptOnRedisTime = alternate(pool, namespace, List.of(luaOnServerA, luaOnServerB));

            report.metric("client_clock_skew_admitted", readModifyWrite.admitted(), "requests",
                    "Admitted of " + REQUESTS + " alternating requests by the read-modify-write limiter with one server 5 s ahead (bound "
                            + readModifyWrite.bound() + ").");
            report.metric("lua_client_clock_skew_admitted", scriptOnClientClocks.admitted(), "requests",
                    "The same for the Lua script given each server's clock as its now (ARGV[4]): the skew is credited once, at most "
                            + (long) skewCredit + " above the bound " + scriptOnClientClocks.bound() + ".");
            report.metric("server_clock_skew_admitted", scriptOnRedisTime.admitted(), "requests",
                    "The same for the Lua limiter as shipped, on Redis TIME, which no application clock reaches (bound "
                            + scriptOnRedisTime.bound() + ").");
            assertThat(readModifyWrite.admitted()).as("read-modify-write, bound %d", readModifyWrite.bound())
                    .isGreaterThan(readModifyWrite.bound() + (long) skewCredit);
            assertThat(scriptOnClientClocks.admitted()).as("script on the servers' clocks, bound %d", scriptOnClientClocks.bound())
                    .isGreaterThan(scriptOnClientClocks.bound())
                    .isLessThanOrEqualTo(scriptOnClientClocks.bound() + (long) skewCredit);
            assertThat(scriptOnRedisTime.admitted()).as("Lua limiter on Redis TIME").isLessThanOrEqualTo(scriptOnRedisTime.bound());
        }
    }

    /** Admissions of one alternating run, and the bound over its Redis TIME span. */
    private record Run(long admitted, long bound) {
    }

    private static Run alternate(JedisPool pool, LabNamespace namespace, List<RateLimiter> servers) {
        String key = namespace.redisKey("skew", UUID.randomUUID().toString());
        long start = RateLimiterFixture.serverMicros(pool);
        long admitted = 0;
        for (int i = 0; i < REQUESTS; i++) {
            if (servers.get(i % 2).tryAcquire(key).allowed()) {
                admitted++;
            }
        }
        long bound = (long) Math.floor(POLICY.admissionBound((RateLimiterFixture.serverMicros(pool) - start) / 1e6));
        return new Run(admitted, bound);
    }

    /** The script with {@code clock} as its "now" (ARGV[4]): what the limiter would be if it read the application server's clock. */
    private static RateLimiter scriptWithClock(JedisPool pool, Clock clock) {
        return (key, cost) -> {
            long micros = ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant());
            try (Jedis jedis = pool.getResource()) {
                return ScriptedRateLimiter.parse(RateLimiterFixture.SCRIPT.run(jedis, List.of(key),
                        List.of(Long.toString(POLICY.capacity()), POLICY.rateArgument(), Long.toString(cost), Long.toString(micros)),
                        () -> { }));
            }
        };
    }
}
