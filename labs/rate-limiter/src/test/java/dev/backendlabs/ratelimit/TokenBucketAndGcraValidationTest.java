package dev.backendlabs.ratelimit;

import dev.backendlabs.ratelimit.RateLimiterFixture.BucketScript;
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
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bad arguments get a clear, typed error naming the argument and change nothing: in Lua an
 * {@code ERR rate-limiter:} error reply, in Java a {@link RateLimitArgumentException} before
 * any round trip. Java and both scripts ({@code token_bucket.lua}, {@code gcra.lua}) accept exactly
 * the same rates, exponent forms included, down to the minimum {@code capacity / 1e15}.
 */
@Lab
class TokenBucketAndGcraValidationTest {
    private static final String RATE_RULE = "rate must be a decimal number of tokens per second from capacity / 1e15 to 1000000000";
    private static final String NOW = "1700000000000000";


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
            "10,     0x10,   1,   none,   rate",
            "10,     '',     1,   none,   rate",
            "10,     0.0,    1,   none,   rate",
            "10,     1e400,  1,   none,   rate",
            "1000000000, 0.00000099999999, 1, none, rate",
            "1000000000, 0.00000001, 1, none, rate",
            "1,      0.0000000000000001, 1, none, rate",
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
        List<String> args = new ArrayList<>(List.of(capacity, rate, cost));
        if (now != null) {
            args.add(now);
        }
        try (Jedis jedis = redis.connect()) {
            for (BucketScript script : BucketScript.values()) {
                jedis.del(key);
                jedis.psetex(key, 60_000, "3 1700000000000000");

                assertThatThrownBy(() -> script.script().run(jedis, List.of(key), args, () -> { })).as("%s", script)
                        .isInstanceOf(JedisDataException.class)
                        .hasMessageStartingWith("ERR rate-limiter: " + argument + " must be");

                assertThat(jedis.get(key)).isEqualTo("3 1700000000000000");
                assertThat(jedis.pttl(key)).isBetween(50_000L, 60_000L);
            }
            jedis.del(key);
        }
    }

    /**
     * Each rate text through {@link BucketPolicy#perSecond(long, String)} and through both scripts:
     * all accept it or all reject it with the same wording; an accepted one gives the same reply
     * as the plain decimal Java sends ({@link BucketPolicy#rateArgument()}). The minimum is
     * {@code capacity / 1e15}: at it works, just below is the typed error.
     */
    @ParameterizedTest(name = "capacity={0} rate=''{1}'' accepted={2}")
    @CsvSource({
            "10,         10,                     true",
            "10,         0.001,                  true",
            "10,         .5,                     true",
            "10,         5.,                     true",
            "1,          1E-5,                   true",
            "1,          1e-5,                   true",
            "1,          1.1574074074074073e-05, true",
            "1,          1.1574074074074073E-5,  true",
            "10,         .5e1,                   true",
            "10,         5.e-1,                  true",
            "10,         1e+3,                   true",
            "10,         1000000000,             true",
            "1000000000, 0.000001,               true",
            "1000000000, 1E-6,                   true",
            "1000000000, 0.00000099999999,       false",
            "1,          1E-15,                  true",
            "1,          9.9999999E-16,          false",
            "10,         1000000000.1,           false",
            "10,         1e400,                  false",
            "10,         1e-400,                 false",
            "10,         1e99999999999,          false",
            "10,         inf,                    false",
            "10,         Infinity,               false",
            "10,         nan,                    false",
            "10,         NaN,                    false",
            "10,         0x10,                   false",
            "10,         0x1p3,                  false",
            "10,         '',                     false",
            "10,         ' 1',                   false",
            "10,         '1 ',                   false",
            "10,         +1,                     false",
            "10,         -1,                     false",
            "10,         1e,                     false",
            "10,         e5,                     false",
            "10,         1e5e5,                  false",
            "10,         1.2.3,                  false",
            "10,         .,                      false"})
    void javaAndTheScriptsAcceptExactlyTheSameRates(long capacity, String rate, boolean accepted, RedisBackend redis,
                                                     LabNamespace namespace) {
        if (!accepted) {
            assertThatThrownBy(() -> BucketPolicy.perSecond(capacity, rate)).isInstanceOfSatisfying(RateLimitArgumentException.class,
                    e -> assertThat(e.argument()).isEqualTo("rate")).hasMessageStartingWith("rate-limiter: " + RATE_RULE);
        }
        try (Jedis jedis = redis.connect()) {
            for (BucketScript script : BucketScript.values()) {
                String key = namespace.redisKey("validation", "rate", UUID.randomUUID().toString());
                if (!accepted) {
                    assertThatThrownBy(() -> script.script().run(jedis, List.of(key), List.of(Long.toString(capacity), rate, "1", NOW),
                            () -> { })).as("%s", script).isInstanceOf(JedisDataException.class)
                            .hasMessageStartingWith("ERR rate-limiter: " + RATE_RULE);
                    assertThat(jedis.exists(key)).isFalse();
                    continue;
                }
                BucketPolicy policy = BucketPolicy.perSecond(capacity, rate);
                String plainKey = key + ":plain";
                Object asGiven = script.script().run(jedis, List.of(key), List.of(Long.toString(capacity), rate, "1", NOW), () -> { });
                Object asJavaSendsIt = script.script().run(jedis, List.of(plainKey),
                        List.of(Long.toString(capacity), policy.rateArgument(), "1", NOW), () -> { });
                assertThat(asGiven).as("%s reply for '%s' and for Java's '%s'", script, rate, policy.rateArgument())
                        .isEqualTo(asJavaSendsIt);
                assertThat(jedis.pttl(key)).as("a TTL within PX range").isPositive();
                jedis.del(key, plainKey);
            }
        }
    }

    @Test
    void scriptsRequireExactlyOneKey(RedisBackend redis, LabNamespace namespace) {
        List<String> twoKeys = List.of(namespace.redisKey("a"), namespace.redisKey("b"));
        try (Jedis jedis = redis.connect()) {
            for (BucketScript script : BucketScript.values()) {
                assertThatThrownBy(() -> script.script().run(jedis, List.of(), List.of("10", "1", "1"), () -> { }))
                        .isInstanceOf(JedisDataException.class)
                        .hasMessageStartingWith("ERR rate-limiter: exactly one key");
                assertThatThrownBy(() -> script.script().run(jedis, twoKeys, List.of("10", "1", "1"), () -> { }))
                        .isInstanceOf(JedisDataException.class)
                        .hasMessageStartingWith("ERR rate-limiter: exactly one key");
                assertThat(jedis.exists(twoKeys.toArray(String[]::new))).isZero();
            }
        }
    }

    @Test
    void policyRejectsBadCapacityAndRateWithTheScriptsWording() {
        assertThatThrownBy(() -> BucketPolicy.perSecond(0, 1)).isInstanceOfSatisfying(RateLimitArgumentException.class,
                e -> assertThat(e.argument()).isEqualTo("capacity"))
                .hasMessage("rate-limiter: capacity must be an integer from 1 to 1000000000, got '0'");
        assertThatThrownBy(() -> BucketPolicy.perSecond(2_000_000_000L, 1)).isInstanceOf(RateLimitArgumentException.class);
        for (double rate : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, 2e9, 9.9999999e-7}) {
            assertThatThrownBy(() -> BucketPolicy.perSecond(1_000_000_000, rate)).isInstanceOfSatisfying(RateLimitArgumentException.class,
                    e -> assertThat(e.argument()).isEqualTo("rate"))
                    .hasMessageStartingWith("rate-limiter: " + RATE_RULE);
        }
        assertThatThrownBy(() -> new BucketPolicy(10, null)).isInstanceOf(RateLimitArgumentException.class);
        assertThatThrownBy(() -> BucketPolicy.of(10, 1, Duration.ZERO)).isInstanceOf(RateLimitArgumentException.class);
        assertThat(BucketPolicy.perSecond(1_000_000_000, 1e-6).rateArgument()).isEqualTo("0.000001");
        assertThat(BucketPolicy.perSecond(1, 1.0 / 86_400).rateArgument()).isEqualTo("0.000011574074074074073");
        assertThat(BucketPolicy.of(1, 1, Duration.ofDays(1)).rateArgument()).isEqualTo("0.000011574074074074074074");
        assertThat(new BucketPolicy(5, new BigDecimal("1E+1")).rateArgument()).isEqualTo("10");
    }

    @Test
    void limitersDecideAtTheSlowestRateTheirCapacityAllows(RedisBackend redis, LabNamespace namespace) {
        BucketPolicy slowest = BucketPolicy.perSecond(1_000_000_000, "1E-6");
        HostAndPort address = new HostAndPort(redis.host(), redis.port());
        try (TokenBucketRateLimiter bucket = TokenBucketRateLimiter.builder(slowest).redis(address).build();
             GcraRateLimiter gcra = GcraRateLimiter.builder(slowest).redis(address).build();
             Jedis jedis = redis.connect()) {
            for (ScriptedRateLimiter limiter : List.of(bucket, gcra)) {
                String key = namespace.redisKey("validation", "slowest", UUID.randomUUID().toString());
                Decision decision = limiter.tryAcquire(key, 1_000_000_000);

                assertThat(decision.source()).isEqualTo(Decision.Source.REDIS);
                assertThat(decision.allowed()).isTrue();
                assertThat(decision.resetAfterMillis()).isEqualTo(1_000_000_000_000_000_000L);
                assertThat(jedis.pttl(key)).as("TTL: time to fill plus 1 s slack").isGreaterThan(1_000_000_000_000_000_000L);
                jedis.del(key);
            }
        }
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
