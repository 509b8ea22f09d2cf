package dev.backendlabs.ratelimit;

import dev.backendlabs.ratelimit.RateLimiterFixture.BucketScript;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import redis.clients.jedis.Jedis;

import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reply contract of {@code token_bucket.lua} and {@code gcra.lua}, step by step, with "now"
 * injected through ARGV[4] so every value is exact: allowed, remaining (decimal string),
 * retry_after_ms and reset_after_ms. After each step the key's TTL is checked: an allowed write
 * leaves {@code time-to-full <= PTTL <= time-to-full + 1 s slack}; a denial or a peek writes nothing.
 *
 * <p>Both scripts answer every case the same, except while the clock is behind the last write:
 * both refill nothing then, but the bucket keeps the tokens it counted at the last write, while
 * GCRA, whose one number is an absolute time, also charges the lag (it denies more, never less).
 */
@Lab
class TokenBucketAndGcraContractTest {

    private static final long SLACK_MS = 1000;
    private static final long SECOND = 1_000_000;

    /** One call at {@code atMicros} with {@code cost}, and the reply it must give. */
    record Step(long atMicros, long cost, int allowed, String remaining, long retryAfterMs, long resetAfterMs) {
    }

    record Case(String name, long capacity, String rate, List<Step> steps) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        Stream<Arguments> shared = sharedCases().flatMap(contract -> Stream.of(BucketScript.values())
                .map(script -> Arguments.of(script, contract)));
        return Stream.of(shared,
                Stream.of(Arguments.of(BucketScript.TOKEN_BUCKET, bucketWriteWhileTheClockIsBehind())),
                Stream.of(Arguments.of(BucketScript.GCRA, gcraWriteWhileTheClockIsBehind()))).flatMap(s -> s);
    }

    private static Stream<Case> sharedCases() {
        return Stream.of(
                new Case("a new key is a full bucket: cost 1 leaves capacity - 1", 10, "1", List.of(
                        new Step(0, 1, 1, "9", -1, 1000))),
                new Case("cost 0 peeks and writes nothing", 10, "1", List.of(
                        new Step(0, 0, 1, "10", -1, 0),
                        new Step(0, 3, 1, "7", -1, 3000),
                        new Step(0, 0, 1, "7", -1, 3000))),
                new Case("cost = capacity empties the bucket; refill is continuous", 10, "1", List.of(
                        new Step(0, 10, 1, "0", -1, 10000),
                        new Step(0, 1, 0, "0", 1000, 10000),
                        new Step(SECOND / 2, 1, 0, "0.5", 500, 9500),
                        new Step(SECOND, 1, 1, "0", -1, 10000))),
                new Case("cost > capacity can never succeed: retry_after -1, nothing written", 10, "1", List.of(
                        new Step(0, 11, 0, "10", -1, 0))),
                new Case("weighted costs", 10, "2", List.of(
                        new Step(0, 7, 1, "3", -1, 3500),
                        new Step(0, 5, 0, "3", 1000, 3500),
                        new Step(SECOND, 5, 1, "0", -1, 5000))),
                new Case("fractional rate 0.5 per second", 2, "0.5", List.of(
                        new Step(0, 2, 1, "0", -1, 4000),
                        new Step(SECOND, 1, 0, "0.5", 1000, 3000),
                        new Step(2 * SECOND, 1, 1, "0", -1, 4000))),
                new Case("fractional rate 0.001 per second", 1, "0.001", List.of(
                        new Step(0, 1, 1, "0", -1, 1_000_000),
                        new Step(250 * SECOND, 1, 0, "0.25", 750_000, 750_000))),
                new Case("10,000 per second refills within a millisecond", 100, "10000", List.of(
                        new Step(0, 100, 1, "0", -1, 10),
                        new Step(1_000, 5, 1, "5", -1, 10),
                        new Step(1_000, 10, 0, "5", 1, 10),
                        new Step(1_500, 10, 1, "0", -1, 10))),
                new Case("one per day", 1, "0.000011574074074074074", List.of(
                        new Step(0, 1, 1, "0", -1, 86_400_000),
                        new Step(43_200 * SECOND, 1, 0, "0.5", 43_200_000, 43_200_000),
                        new Step(86_401 * SECOND, 1, 1, "0", -1, 86_400_000))),
                new Case("one per day as Double.toString and Python write it, with an exponent", 1, "1.1574074074074073E-5", List.of(
                        new Step(0, 1, 1, "0", -1, 86_400_000),
                        new Step(43_200 * SECOND, 1, 0, "0.5", 43_200_000, 43_200_000),
                        new Step(86_401 * SECOND, 1, 1, "0", -1, 86_400_000))),
                new Case("1e-5 per second, lower-case exponent", 1, "1e-5", List.of(
                        new Step(0, 1, 1, "0", -1, 100_000_000),
                        new Step(50_000 * SECOND, 1, 0, "0.5", 50_000_000, 50_000_000))),
                new Case("the slowest rate for capacity 1e9, capacity / 1e15: TTL near 1e18 ms still fits PX", 1_000_000_000, "0.000001",
                        List.of(
                        new Step(0, 1_000_000_000, 1, "0", -1, 1_000_000_000_000_000_000L))),
                new Case("the slowest rate for capacity 1, 1E-15 (one token per 31.7 million years)", 1, "1E-15", List.of(
                        new Step(0, 1, 1, "0", -1, 999_999_999_999_999_872L))),
                new Case("refill stops at capacity", 5, "100", List.of(
                        new Step(0, 1, 1, "4", -1, 10),
                        new Step(10 * SECOND, 1, 1, "4", -1, 10))),
                new Case("a clock that goes backwards refills nothing, and waits include the lag", 10, "1", List.of(
                        new Step(10 * SECOND, 10, 1, "0", -1, 10000),
                        new Step(5 * SECOND, 1, 0, "0", 6000, 15000),
                        new Step(11 * SECOND, 1, 1, "0", -1, 10000))));
    }

    /** The bucket, 5 s behind its last write, still has the 5 tokens it counted then; the wait to full includes the lag. */
    private static Case bucketWriteWhileTheClockIsBehind() {
        return new Case("a write while the clock is behind sets a TTL that covers the lag (bucket)", 10, "1", List.of(
                new Step(10 * SECOND, 5, 1, "5", -1, 5000),
                new Step(5 * SECOND, 1, 1, "4", -1, 11000),
                new Step(16 * SECOND, 0, 1, "10", -1, 0)));
    }

    /** GCRA at 8 s, 2 s behind its last write: TAT 15 s leaves 10 - 7 = 3 tokens (the lag is charged); TAT moves to 16 s. */
    private static Case gcraWriteWhileTheClockIsBehind() {
        return new Case("a write while the clock is behind sets a TTL that covers the lag (GCRA)", 10, "1", List.of(
                new Step(10 * SECOND, 5, 1, "5", -1, 5000),
                new Step(5 * SECOND, 1, 0, "0", 1000, 10000),
                new Step(8 * SECOND, 1, 1, "2", -1, 8000),
                new Step(16 * SECOND, 0, 1, "10", -1, 0)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    @SuppressWarnings("unchecked")
    void replyMatchesTheContract(BucketScript script, Case contract, RedisBackend redis, LabNamespace namespace) {
        String key = namespace.redisKey("contract", UUID.randomUUID().toString());
        long base = 1_700_000_000L * SECOND;
        try (Jedis jedis = redis.connect()) {
            for (Step step : contract.steps()) {
                long ttlBefore = jedis.pttl(key);
                List<Object> reply = (List<Object>) script.script().run(jedis, List.of(key),
                        List.of(Long.toString(contract.capacity()), contract.rate(), Long.toString(step.cost()),
                                Long.toString(base + step.atMicros())), () -> { });

                assertThat(reply).as("reply at %d µs, cost %d", step.atMicros(), step.cost())
                        .containsExactly((long) step.allowed(), step.remaining(), step.retryAfterMs(), step.resetAfterMs());
                long ttl = jedis.pttl(key);
                if (step.allowed() == 1 && step.cost() > 0) {
                    assertThat(ttl).as("PTTL after a write").isPositive()
                            .isGreaterThanOrEqualTo(step.resetAfterMs() - 50)
                            .isLessThanOrEqualTo(step.resetAfterMs() + SLACK_MS + doublePrecision(step.resetAfterMs()));
                } else {
                    assertThat(ttl).as("a denial or a peek does not extend the TTL").isLessThanOrEqualTo(ttlBefore);
                }
            }
            jedis.del(key);
        }
    }

    /** The script computes in doubles: above 2^53 ms (285,000 years) a TTL is exact only to the spacing of doubles there. */
    private static long doublePrecision(long millis) {
        return (long) Math.ulp((double) millis);
    }
}
