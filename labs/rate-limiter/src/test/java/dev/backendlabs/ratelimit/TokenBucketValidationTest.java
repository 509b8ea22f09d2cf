package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bad arguments get a clear, typed error naming the argument and change nothing: in Lua an
 * {@code ERR rate-limiter:} error reply, in Java a {@link RateLimitArgumentException} before
 * any round trip.
 */
@Lab("rate-limiter")
class TokenBucketValidationTest {

    private static final LuaScript SCRIPT = LuaScript.fromClasspath(TokenBucketRateLimiter.SCRIPT_RESOURCE);

    @ParameterizedTest(name = "capacity={0} rate={1} cost={2} now={3} -> {4}")
    @CsvSource(nullValues = "none", value = {
            "0,      1,      1,   none,   capacity",
            "-1,     1,      1,   none,   capacity",
            "1.5,    1,      1,   none,   capacity",
            "ten,    1,      1,   none,   capacity",
            "'',     1,      1,   none,   capacity",
            "0x10,   1,      1,   none,   capacity",
            "2000000000, 1,  1,   none,   capacity",
            "10,     0,      1,   none,   rate",
            "10,     -1,     1,   none,   rate",
            "10,     abc,    1,   none,   rate",
            "10,     nan,    1,   none,   rate",
            "10,     inf,    1,   none,   rate",
            "10,     1e3,    1,   none,   rate",
            "10,     0.0,    1,   none,   rate",
            "10,     1,      -1,  none,   cost",
            "10,     1,      1.5, none,   cost",
            "10,     1,      x,   none,   cost",
            "10,     1,      1,   abc,    now",
            "10,     1,      1,   -5,     now",
            "10,     1,      1,   1.5,    now",
            "10,     1,      1,   99999999999999999999, now"})
    void scriptRejectsBadArgumentsAndChangesNothing(String capacity, String rate, String cost, String now, String argument,
                                                    RedisBackend redis, LabNamespace namespace) {
        String key = namespace.redisKey("validation", argument);
        try (Jedis jedis = redis.connect()) {
            jedis.del(key);
            jedis.psetex(key, 60_000, "3 1700000000000000");
            List<String> args = new ArrayList<>(List.of(capacity, rate, cost));
            if (now != null) {
                args.add(now);
            }

            assertThatThrownBy(() -> SCRIPT.run(jedis, List.of(key), args, () -> { }))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessageStartingWith("ERR rate-limiter: " + argument + " must be");

            assertThat(jedis.get(key)).isEqualTo("3 1700000000000000");
            assertThat(jedis.pttl(key)).isBetween(50_000L, 60_000L);
            jedis.del(key);
        }
    }

    @Test
    void scriptRequiresExactlyOneKey(RedisBackend redis, LabNamespace namespace) {
        try (Jedis jedis = redis.connect()) {
            assertThatThrownBy(() -> SCRIPT.run(jedis, List.of(), List.of("10", "1", "1"), () -> { }))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessageStartingWith("ERR rate-limiter: exactly one key");
            List<String> twoKeys = List.of(namespace.redisKey("a"), namespace.redisKey("b"));
            assertThatThrownBy(() -> SCRIPT.run(jedis, twoKeys, List.of("10", "1", "1"), () -> { }))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessageStartingWith("ERR rate-limiter: exactly one key");
            assertThat(jedis.exists(twoKeys.toArray(String[]::new))).isZero();
        }
    }

    @Test
    void policyRejectsBadCapacityAndRateWithTheScriptsWording() {
        assertThatThrownBy(() -> BucketPolicy.perSecond(0, 1)).isInstanceOfSatisfying(RateLimitArgumentException.class,
                e -> assertThat(e.argument()).isEqualTo("capacity"))
                .hasMessage("rate-limiter: capacity must be an integer from 1 to 1000000000, got '0'");
        assertThatThrownBy(() -> BucketPolicy.perSecond(2_000_000_000L, 1)).isInstanceOf(RateLimitArgumentException.class);
        for (double rate : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, 2e9}) {
            assertThatThrownBy(() -> BucketPolicy.perSecond(10, rate)).isInstanceOfSatisfying(RateLimitArgumentException.class,
                    e -> assertThat(e.argument()).isEqualTo("rate"))
                    .hasMessageStartingWith("rate-limiter: rate must be a decimal number of tokens per second above 0");
        }
        assertThatThrownBy(() -> new BucketPolicy(10, null)).isInstanceOf(RateLimitArgumentException.class);
        assertThatThrownBy(() -> BucketPolicy.of(10, 1, Duration.ZERO)).isInstanceOf(RateLimitArgumentException.class);
        assertThat(BucketPolicy.of(1, 1, Duration.ofDays(1)).rateArgument()).isEqualTo("0.000011574074074074074074");
        assertThat(new BucketPolicy(5, new BigDecimal("1E+1")).rateArgument()).isEqualTo("10");
    }

    @Test
    void limiterRejectsBadKeysAndCostsBeforeAnyRoundTrip(RedisBackend redis, LabNamespace namespace) {
        String key = namespace.redisKey("validation", "java");
        try (TokenBucketRateLimiter limiter = TokenBucketRateLimiter.builder(BucketPolicy.perSecond(10, 1))
                .redis(new HostAndPort(redis.host(), redis.port())).build();
             Jedis jedis = redis.connect()) {
            jedis.del(key);

            assertThatThrownBy(() -> limiter.tryAcquire(key, -1)).isInstanceOfSatisfying(RateLimitArgumentException.class,
                    e -> assertThat(e.argument()).isEqualTo("cost")).hasMessage("rate-limiter: cost must be an integer >= 0, got '-1'");
            assertThatThrownBy(() -> limiter.tryAcquire(" ", 1)).isInstanceOfSatisfying(RateLimitArgumentException.class,
                    e -> assertThat(e.argument()).isEqualTo("key"));
            assertThatThrownBy(() -> limiter.tryAcquire(null, 1)).isInstanceOf(RateLimitArgumentException.class);

            assertThat(jedis.exists(key)).isFalse();
            assertThat(limiter.metrics().allowed() + limiter.metrics().denied() + limiter.metrics().redisFailures()).isZero();
        }
    }
}
