package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Many threads spending from one hot key as fast as they can. Records every admission's
 * wall-clock millisecond and brackets the run with Redis {@code TIME}, so the admissions can be
 * checked against {@code capacity + rate × elapsed}: elapsed from before the first decision to
 * after the last is an upper bound of the span the bucket refilled over.
 */
final class Hammer {

    /** What a hammering run admitted. */
    record Result(long decisions, long admitted, double elapsedSeconds, long[] admissionMillis, LoadResult load) {

        /** The most a bucket with {@code policy} can have admitted over this run: capacity + rate × elapsed. */
        long bound(BucketPolicy policy) {
            return (long) Math.floor(policy.admissionBound(elapsedSeconds));
        }

        /** Admissions above {@link #bound}, or 0. */
        long overAdmissions(BucketPolicy policy) {
            return Math.max(0, admitted - bound(policy));
        }

        /** The most admissions inside any window of {@code windowMillis} (two pointers over sorted times). */
        long maxInAnyWindow(long windowMillis) {
            long best = 0;
            int first = 0;
            for (int last = 0; last < admissionMillis.length; last++) {
                while (admissionMillis[last] - admissionMillis[first] >= windowMillis) {
                    first++;
                }
                best = Math.max(best, last - first + 1);
            }
            return best;
        }
    }

    private Hammer() {
    }

    /** {@code threads} workers making {@code decisions} decisions. */
    static Result run(RateLimiter limiter, String key, int threads, long decisions, JedisPool pool) throws InterruptedException {
        return run(limiter, key, LoadRunner.workers(threads).operations(decisions), pool);
    }

    /** Decisions driven by {@code load}, bounded as it says. */
    static Result run(RateLimiter limiter, String key, LoadRunner load, JedisPool pool) throws InterruptedException {
        ConcurrentLinkedQueue<Long> admissions = new ConcurrentLinkedQueue<>();
        long startMicros = serverMicros(pool);
        LoadResult result = load.run((worker, sequence) -> {
            if (limiter.tryAcquire(key).allowed()) {
                admissions.add(System.currentTimeMillis());
            }
        });
        long endMicros = serverMicros(pool);
        if (result.errors() > 0) {
            throw new IllegalStateException("Decisions failed during the hammer: " + result.errorsByType());
        }
        long[] times = admissions.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(times);
        return new Result(result.operations(), times.length, (endMicros - startMicros) / 1e6, times, result);
    }

    static long serverMicros(JedisPool pool) {
        try (Jedis jedis = pool.getResource()) {
            List<String> time = jedis.time();
            return Long.parseLong(time.get(0)) * 1_000_000 + Long.parseLong(time.get(1));
        }
    }
}
