package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The reply contract of the two sliding windows, step by step with "now" injected through ARGV[4]:
 * {@code sliding_window_log.lua} (exact: a member per admission, the window {@code (now - window, now]})
 * and {@code sliding_window_counter.lua} (Cloudflare's estimate from two fixed windows). After each
 * step the key's TTL is checked: a write keeps the key until the limit is fully free again, and
 * not much longer (the log: one window plus 1 s slack; the counter: until its reset, plus the
 * slack); a denial or a peek writes nothing. Bad arguments get the same typed errors as the buckets'
 * and change nothing.
 */
@Lab
class SlidingWindowContractTest {

    private static final long MS = 1000;
    private static final long SLACK_MS = 1000;
    /** A whole second, so that the counter's fixed windows start at the offsets the cases name. */
    private static final long BASE = 1_700_000_000_000_000L;

    enum WindowScript {
        LOG(SlidingWindowLogRateLimiter.SCRIPT), COUNTER(SlidingWindowCounterRateLimiter.SCRIPT);

        private final LuaScript script;

        WindowScript(LuaScript script) {
            this.script = script;
        }
    }

    /** One call at {@code atMillis} with {@code cost}, and the reply it must give. */
    record Step(long atMillis, long cost, int allowed, String remaining, long retryAfterMs, long resetAfterMs) {
    }

    record Case(String name, WindowScript script, long limit, long windowMs, List<Step> steps) {
        @Override
        public String toString() {
            return script + ": " + name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("a member per admission; the oldest leaves exactly one window after it came", WindowScript.LOG, 3, 1000, List.of(
                        new Step(0, 1, 1, "2", -1, 1000),
                        new Step(100, 2, 1, "0", -1, 1000),
                        new Step(500, 1, 0, "0", 500, 600),
                        new Step(1000, 1, 1, "0", -1, 1000),
                        new Step(1050, 2, 0, "0", 50, 950),
                        new Step(1100, 2, 1, "0", -1, 1000),
                        new Step(1100, 4, 0, "0", -1, 1000),
                        new Step(1100, 0, 1, "0", -1, 1000))),
                new Case("requests in the same microsecond are separate members", WindowScript.LOG, 3, 1000, List.of(
                        new Step(0, 1, 1, "2", -1, 1000),
                        new Step(0, 1, 1, "1", -1, 1000),
                        new Step(0, 1, 1, "0", -1, 1000),
                        new Step(0, 1, 0, "0", 1000, 1000))),
                new Case("a clock that goes backwards counts from the newest member", WindowScript.LOG, 2, 1000, List.of(
                        new Step(10_000, 2, 1, "0", -1, 1000),
                        new Step(9_500, 1, 0, "0", 1000, 1000),
                        new Step(11_000, 1, 1, "1", -1, 1000))),
                new Case("the previous window weighs as much as the sliding window still covers of it", WindowScript.COUNTER, 10, 1000,
                        List.of(
                        new Step(500, 10, 1, "0", -1, 1500),
                        new Step(900, 1, 0, "0", 200, 1100),
                        new Step(1100, 1, 1, "0", -1, 1900),
                        new Step(1250, 1, 1, "0.5", -1, 1750),
                        new Step(1300, 2, 0, "1", 100, 1700),
                        new Step(1400, 2, 1, "0", -1, 1600),
                        new Step(2600, 0, 1, "8.4", -1, 400),
                        new Step(5000, 11, 0, "10", -1, 0))),
                new Case("a clock that goes backwards stays in the last window; waits include the lag", WindowScript.COUNTER, 10, 1000,
                        List.of(
                        new Step(2500, 4, 1, "6", -1, 1500),
                        new Step(1500, 6, 1, "0", -1, 2500),
                        new Step(1600, 1, 0, "0", 1500, 2400),
                        new Step(3100, 1, 1, "0", -1, 1900))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    @SuppressWarnings("unchecked")
    void replyMatchesTheContract(Case contract, RedisBackend redis, LabNamespace namespace) {
        String key = namespace.redisKey("window-contract", UUID.randomUUID().toString());
        try (Jedis jedis = redis.connect()) {
            for (Step step : contract.steps()) {
                long ttlBefore = jedis.pttl(key);
                List<Object> reply = (List<Object>) contract.script().script.run(jedis, List.of(key),
                        List.of(Long.toString(contract.limit()), Long.toString(contract.windowMs()), Long.toString(step.cost()),
                                Long.toString(BASE + step.atMillis() * MS)), () -> { });

                assertThat(reply).as("reply at %d ms, cost %d", step.atMillis(), step.cost())
                        .containsExactly((long) step.allowed(), step.remaining(), step.retryAfterMs(), step.resetAfterMs());
                long ttl = jedis.pttl(key);
                if (step.allowed() == 1 && step.cost() > 0) {
                    assertThat(ttl).as("PTTL after a write: the key outlives what still counts").isPositive()
                            .isGreaterThanOrEqualTo(step.resetAfterMs() - 50)
                            .isLessThanOrEqualTo(Math.max(step.resetAfterMs(), contract.windowMs()) + SLACK_MS);
                } else {
                    assertThat(ttl).as("a denial or a peek does not extend the TTL").isLessThanOrEqualTo(ttlBefore);
                }
            }
            if (contract.script() == WindowScript.LOG) {
                assertThat(jedis.zcard(key)).as("members left in the log").isLessThanOrEqualTo(contract.limit());
            }
            jedis.del(key);
        }
    }

    /**
     * Why the counter exceeds its limit, on an exact clock: traffic at 20 times the limit's rate starts {@code phase} into
     * a window and spends the whole limit at once; the next window's estimate takes that burst for traffic spread over
     * the whole previous window and admits {@code limit × elapsed} more by the time one window has passed since the
     * burst. The most admissions in any window-long span are then {@code limit × (1 + phase)}: 1.5 × the limit for a
     * start mid-window, almost 2 × for a start just before a window ends. The log, on the same schedule, never holds
     * more than the limit. Tolerance: one admission of the limit of 100 each way (0.01), the estimate's rounding.
     */
    @ParameterizedTest(name = "start phase {0}")
    @CsvSource({"0.1", "0.5", "0.9"})
    void counterPeaksAtOnePlusTheStartPhaseWhereTheLogHoldsItsLimit(double phase, RedisBackend redis, LabNamespace namespace) {
        long limit = 100;
        long windowMicros = 100_000;
        long gapMicros = 50;
        List<Long> arrivals = new ArrayList<>();
        for (long at = (long) (phase * windowMicros); at < 3 * windowMicros; at += gapMicros) {
            arrivals.add(BASE + at);
        }
        try (Jedis jedis = redis.connect()) {
            long counterPeak = peakInAnyWindow(admitted(jedis, WindowScript.COUNTER, namespace, limit, arrivals), windowMicros);
            long logPeak = peakInAnyWindow(admitted(jedis, WindowScript.LOG, namespace, limit, arrivals), windowMicros);
            double counter = (double) counterPeak / limit;
            double log = (double) logPeak / limit;

            assertThat(counter).as("counter, most admissions in any window over the limit").isCloseTo(1 + phase, within(0.011));
            assertThat(log).as("log, most admissions in any window over the limit").isEqualTo(1.0);
        }
    }

    /** The injected times of the admitted requests, pipelined: each call is still decided in order, on the last one's state. */
    private static long[] admitted(Jedis jedis, WindowScript script, LabNamespace namespace, long limit, List<Long> arrivals) {
        String key = namespace.redisKey("window-phase", UUID.randomUUID().toString());
        script.script.load(jedis);
        Pipeline pipeline = jedis.pipelined();
        List<Response<Object>> replies = arrivals.stream().map(at -> pipeline.evalsha(script.script.sha1(), List.of(key),
                List.of(Long.toString(limit), "100", "1", Long.toString(at)))).toList();
        pipeline.sync();
        jedis.del(key);
        return IntStream.range(0, arrivals.size())
                .filter(i -> ((List<?>) replies.get(i).get()).get(0).equals(1L)).mapToLong(arrivals::get).toArray();
    }

    private static long peakInAnyWindow(long[] sortedMicros, long windowMicros) {
        long best = 0;
        int first = 0;
        for (int last = 0; last < sortedMicros.length; last++) {
            while (sortedMicros[last] - sortedMicros[first] >= windowMicros) {
                first++;
            }
            best = Math.max(best, last - first + 1);
        }
        return best;
    }

    /**
     * Every bad argument through both window scripts (the log's cost ceiling through the log only): the
     * {@code ERR rate-limiter: <argument> must be} error of the buckets' scripts, and the key's value and TTL untouched.
     */
    @ParameterizedTest(name = "limit={0} window={1} cost={2} now={3} -> {4} ({5})")
    @CsvSource(nullValues = "none", value = {
            "0,      1000,  1,    none,  limit,  both",
            "-1,     1000,  1,    none,  limit,  both",
            "1.5,    1000,  1,    none,  limit,  both",
            "ten,    1000,  1,    none,  limit,  both",
            "'',     1000,  1,    none,  limit,  both",
            "0x10,   1000,  1,    none,  limit,  both",
            "' 10',  1000,  1,    none,  limit,  both",
            "2000000000, 1000, 1, none,  limit,  both",
            "10,     0,     1,    none,  window, both",
            "10,     -1000, 1,    none,  window, both",
            "10,     1.5,   1,    none,  window, both",
            "10,     1e3,   1,    none,  window, both",
            "10,     inf,   1,    none,  window, both",
            "10,     nan,   1,    none,  window, both",
            "10,     0x10,  1,    none,  window, both",
            "10,     10000000000000, 1, none, window, both",
            "10,     1000,  -1,   none,  cost,   both",
            "10,     1000,  1.5,  none,  cost,   both",
            "10,     1000,  x,    none,  cost,   both",
            "1000000000, 1000, 1001, none, cost, LOG",
            "10,     1000,  1,    abc,   now,    both",
            "10,     1000,  1,    -5,    now,    both",
            "10,     1000,  1,    1.5,   now,    both",
            "10,     1000,  1,    99999999999999999999, now, both"})
    void scriptRejectsBadArgumentsAndChangesNothing(String limit, String window, String cost, String now, String argument,
                                                    String scripts, RedisBackend redis, LabNamespace namespace) {
        String key = namespace.redisKey("window-validation", argument);
        List<String> args = new ArrayList<>(List.of(limit, window, cost));
        if (now != null) {
            args.add(now);
        }
        try (Jedis jedis = redis.connect()) {
            List<WindowScript> targets = scripts.equals("both") ? List.of(WindowScript.values()) : List.of(WindowScript.valueOf(scripts));
            for (WindowScript script : targets) {
                jedis.del(key);
                jedis.psetex(key, 60_000, "untouched");

                assertThatThrownBy(() -> script.script.run(jedis, List.of(key), args, () -> { })).as("%s", script)
                        .isInstanceOf(JedisDataException.class)
                        .hasMessageStartingWith("ERR rate-limiter: " + argument + " must be");

                assertThat(jedis.get(key)).isEqualTo("untouched");
                assertThat(jedis.pttl(key)).isBetween(50_000L, 60_000L);
            }
            jedis.del(key);
        }
    }

    @Test
    void scriptsRequireExactlyOneKey(RedisBackend redis, LabNamespace namespace) {
        List<String> twoKeys = List.of(namespace.redisKey("window-validation", "a"), namespace.redisKey("window-validation", "b"));
        try (Jedis jedis = redis.connect()) {
            for (WindowScript script : WindowScript.values()) {
                for (List<String> keys : List.of(List.<String>of(), twoKeys)) {
                    assertThatThrownBy(() -> script.script.run(jedis, keys, List.of("10", "1000", "1"), () -> { })).as("%s", script)
                            .isInstanceOf(JedisDataException.class)
                            .hasMessageStartingWith("ERR rate-limiter: exactly one key");
                }
                assertThat(jedis.exists(twoKeys.toArray(String[]::new))).isZero();
            }
        }
    }

    @Test
    void javaRejectsBadPoliciesAndCostsBeforeAnyRoundTrip(RedisBackend redis, LabNamespace namespace) {
        assertThatThrownBy(() -> WindowPolicy.of(0, Duration.ofSeconds(1))).isInstanceOfSatisfying(RateLimitArgumentException.class,
                e -> assertThat(e.argument()).isEqualTo("limit"))
                .hasMessage("rate-limiter: limit must be an integer from 1 to 1000000000, got '0'");
        for (Duration window : new Duration[] {null, Duration.ZERO, Duration.ofNanos(1_500_000), Duration.ofDays(366L * 40)}) {
            assertThatThrownBy(() -> WindowPolicy.of(10, window)).isInstanceOfSatisfying(RateLimitArgumentException.class,
                    e -> assertThat(e.argument()).isEqualTo("window"));
        }
        assertThat(WindowPolicy.sameQuotaAs(BucketPolicy.perSecond(1000, 1000))).isEqualTo(WindowPolicy.of(1000, Duration.ofSeconds(1)));
        assertThat(WindowPolicy.sameQuotaAs(BucketPolicy.perSecond(100, 1000))).isEqualTo(WindowPolicy.of(100, Duration.ofMillis(100)));

        String key = namespace.redisKey("window-validation", "java");
        try (SlidingWindowLogRateLimiter log = SlidingWindowLogRateLimiter.builder(WindowPolicy.of(1_000_000, Duration.ofSeconds(1)))
                .redis(new HostAndPort(redis.host(), redis.port())).build();
             Jedis jedis = redis.connect()) {
            assertThatThrownBy(() -> log.tryAcquire(key, 1001)).isInstanceOfSatisfying(RateLimitArgumentException.class,
                    e -> assertThat(e.argument()).isEqualTo("cost"));
            assertThatThrownBy(() -> log.tryAcquire(key, -1)).isInstanceOf(RateLimitArgumentException.class);
            assertThat(jedis.exists(key)).isFalse();
            assertThat(log.tryAcquire(key, 1000).allowed()).as("the largest cost the log takes").isTrue();
            assertThat(jedis.zcard(key)).isEqualTo(1000);
            jedis.del(key);
        }
    }
}
