package dev.backendlabs.ratelimit;

import dev.backendlabs.ratelimit.RateLimiterFixture.BucketScript;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GCRA is the token bucket in one number: with capacity = the burst and rate = 1 / the emission
 * interval, {@code gcra.lua} answers a seeded random schedule of {@value #STEPS} requests on a
 * clock that only moves forward ("now" injected through ARGV[4]) as {@code token_bucket.lua}
 * does — costs of 1, peeks, weighted costs, the whole capacity and impossible costs, arriving a
 * little faster than the rate on average, so that the schedule mixes full, draining and empty states.
 *
 * <p>Where the emission interval is a whole number of microseconds, every reply is identical:
 * allowed, remaining, retry_after_ms, reset_after_ms. Where it is not (3/s: 333,333.33 µs), the
 * TAT, a number near 1.7e15 µs, is exact only to 1/4 µs, and the script rounds each new TAT up,
 * toward denying. GCRA then answers like the bucket — same decisions, waits at most 1 ms longer,
 * remaining never above the bucket's and below it by at most 1/4 µs of refill per write so far
 * (plus the 10^-6 of the reply's rounding down) — until the drift first decides: a request the
 * bucket admits with less than that to spare, which GCRA denies. After that the two states differ,
 * and GCRA is held to the limit itself: in no span of the schedule does it admit more than
 * capacity + rate × span. The schedules are seeded and the scripts deterministic, so each case
 * gives the same replies on every run.
 */
@Lab
class GcraEquivalenceTest {

    private static final int STEPS = 1000;
    private static final long START = 1_700_000_000_000_000L;
    /** The spacing of doubles between 2^50 and 2^51 µs (2005 to 2041): the resolution of the TAT. */
    private static final double TAT_RESOLUTION_MICROS = 0.25;

    /** One request of the schedule: microseconds since the previous one, and its cost. */
    private record Request(long gapMicros, long cost) {
    }

    @ParameterizedTest(name = "capacity={0} rate={1} (emission interval {2} µs)")
    @CsvSource({
            "10,          1,                       1000000",
            "100,         1000,                    1000",
            "2,           0.5,                     2000000",
            "100,         10000,                   100",
            "1000,        1000000,                 1",
            "1,           0.000011574074074074074, 86400000000"})
    void gcraRepliesExactlyLikeTheTokenBucket(long capacity, String rate, long intervalMicros, RedisBackend redis, LabNamespace namespace) {
        List<Request> schedule = schedule(capacity, Double.parseDouble(rate));
        try (Jedis jedis = redis.connect()) {
            List<List<?>> bucket = replies(jedis, BucketScript.TOKEN_BUCKET, namespace, capacity, rate, schedule);
            List<List<?>> gcra = replies(jedis, BucketScript.GCRA, namespace, capacity, rate, schedule);

            assertMixesAdmissionsAndDenials(bucket);
            for (int step = 0; step < STEPS; step++) {
                assertThat(gcra.get(step)).as("reply %d to %s", step, schedule.get(step)).isEqualTo(bucket.get(step));
            }
        }
    }

    @ParameterizedTest(name = "capacity={0} rate={1}")
    @CsvSource({"7, 3", "50, 30000"})
    void gcraDecidesLikeTheTokenBucketUntilItsRoundingDeniesFirst(long capacity, String rate, RedisBackend redis, LabNamespace namespace) {
        double perSecond = Double.parseDouble(rate);
        List<Request> schedule = schedule(capacity, perSecond);
        try (Jedis jedis = redis.connect()) {
            List<List<?>> bucket = replies(jedis, BucketScript.TOKEN_BUCKET, namespace, capacity, rate, schedule);
            List<List<?>> gcra = replies(jedis, BucketScript.GCRA, namespace, capacity, rate, schedule);

            assertMixesAdmissionsAndDenials(bucket);
            double driftPerWrite = TAT_RESOLUTION_MICROS * perSecond / 1e6;
            long writes = 0;
            for (int step = 0; step < STEPS; step++) {
                List<?> expected = bucket.get(step);
                List<?> actual = gcra.get(step);
                String what = "reply " + step + " to " + schedule.get(step) + " after " + writes + " writes";
                if (!actual.get(0).equals(expected.get(0))) {
                    assertThat(actual.get(0)).as("the first different decision is GCRA's rounding denying: " + what).isEqualTo(0L);
                    break;
                }
                for (int wait = 2; wait <= 3; wait++) {
                    long bucketWait = (Long) expected.get(wait);
                    assertThat((Long) actual.get(wait)).as("wait %d (retry_after_ms, reset_after_ms), %s", wait, what)
                            .isBetween(bucketWait, bucketWait + 1);
                }
                double drift = Double.parseDouble((String) expected.get(1)) - Double.parseDouble((String) actual.get(1));
                assertThat(drift).as("bucket minus GCRA remaining, " + what).isBetween(0.0, writes * driftPerWrite + 1e-6);
                if (expected.get(0).equals(1L) && schedule.get(step).cost() > 0) {
                    writes++;
                }
            }
            assertThat(mostAboveTheRateInAnySpan(schedule, gcra, perSecond)).as("GCRA's admissions beyond rate × span, in any span")
                    .isLessThanOrEqualTo(capacity + 1e-9);
        }
    }

    /**
     * The most a limiter admitted in any span of the schedule minus what the rate refills over it:
     * {@code max over i <= j of admitted(i..j) - rate × (t_j - t_i)}, which a limit of {@code capacity} keeps at or below capacity.
     */
    private static double mostAboveTheRateInAnySpan(List<Request> schedule, List<List<?>> replies, double perSecond) {
        double most = 0;
        double admittedBefore = 0;
        double lowestStart = Double.MAX_VALUE;
        long micros = 0;
        for (int step = 0; step < schedule.size(); step++) {
            micros += schedule.get(step).gapMicros();
            double seconds = micros / 1e6;
            lowestStart = Math.min(lowestStart, admittedBefore - perSecond * seconds);
            if (replies.get(step).get(0).equals(1L)) {
                admittedBefore += schedule.get(step).cost();
            }
            most = Math.max(most, admittedBefore - perSecond * seconds - lowestStart);
        }
        return most;
    }

    private static void assertMixesAdmissionsAndDenials(List<List<?>> replies) {
        long allowed = replies.stream().filter(reply -> reply.get(0).equals(1L)).count();
        assertThat(allowed).as("the schedule both admits and denies").isBetween(STEPS / 10L, STEPS * 9L / 10);
    }

    /** Gaps drawn so that requests of cost 1 arrive at 1.25 × the rate on average, with a full refill now and then; seeded. */
    private static List<Request> schedule(long capacity, double rate) {
        SplittableRandom random = new SplittableRandom(capacity * 31 + Double.hashCode(rate));
        double meanGapMicros = 1e6 / rate / 1.25;
        List<Request> requests = new ArrayList<>(STEPS);
        for (int i = 0; i < STEPS; i++) {
            long gap = random.nextInt(50) == 0 ? (long) (capacity * 1e6 / rate)
                    : (long) (-Math.log(1 - random.nextDouble()) * meanGapMicros);
            int kind = random.nextInt(20);
            long cost = kind < 14 ? 1 : kind < 16 ? 0 : kind < 18 ? 1 + random.nextLong(capacity) : kind < 19 ? capacity : capacity + 1;
            requests.add(new Request(gap, cost));
        }
        return requests;
    }

    /** The replies to the whole schedule on a fresh key, pipelined: each call is still decided in order, on the last one's state. */
    private static List<List<?>> replies(Jedis jedis, BucketScript script, LabNamespace namespace, long capacity, String rate,
                                        List<Request> schedule) {
        String key = namespace.redisKey("equivalence", script.name(), UUID.randomUUID().toString());
        script.script().load(jedis);
        Pipeline pipeline = jedis.pipelined();
        List<Response<Object>> responses = new ArrayList<>(schedule.size());
        long now = START;
        for (Request request : schedule) {
            now += request.gapMicros();
            responses.add(pipeline.evalsha(script.script().sha1(), List.of(key),
                    List.of(Long.toString(capacity), rate, Long.toString(request.cost()), Long.toString(now))));
        }
        pipeline.sync();
        jedis.del(key);
        return responses.stream().<List<?>>map(response -> (List<?>) response.get()).toList();
    }
}
