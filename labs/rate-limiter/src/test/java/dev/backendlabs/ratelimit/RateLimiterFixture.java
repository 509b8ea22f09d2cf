package dev.backendlabs.ratelimit;

import com.sun.net.httpserver.HttpServer;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/** What the lab's test classes share: the script, the server's clock, an HTTP server behind the filter, and the hot-key load. */
final class RateLimiterFixture {

    static final LuaScript SCRIPT = TokenBucketRateLimiter.SCRIPT;

    private RateLimiterFixture() {
    }

    /** The two scripts of one token-bucket limit: the same arguments, rules and replies, two representations of the state. */
    enum BucketScript {
        TOKEN_BUCKET(TokenBucketRateLimiter.SCRIPT),
        GCRA(GcraRateLimiter.SCRIPT);

        private final LuaScript script;

        BucketScript(LuaScript script) {
            this.script = script;
        }

        LuaScript script() {
            return script;
        }
    }

    /** Redis {@code TIME} in microseconds: the clock the script decides by. */
    static long serverMicros(JedisPool pool) {
        try (Jedis jedis = pool.getResource()) {
            List<String> time = jedis.time();
            return Long.parseLong(time.get(0)) * 1_000_000 + Long.parseLong(time.get(1));
        }
    }

    /**
     * The JDK's {@code HttpServer} on a free loopback port with {@code filter} in front of a handler that answers
     * 200 "ok"; closing it stops the server.
     */
    record FilteredServer(HttpServer server, URI uri) implements AutoCloseable {

        static FilteredServer start(RateLimitingFilter filter) {
            try {
                HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
                server.createContext("/orders", exchange -> {
                    byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                    exchange.close();
                }).getFilters().add(filter);
                server.start();
                return new FilteredServer(server, URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/orders"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** Admission times in wall-clock milliseconds, sorted. */
    record Admissions(long[] millis) {

        static Admissions of(Collection<Long> times) {
            long[] sorted = times.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(sorted);
            return new Admissions(sorted);
        }

        long count() {
            return millis.length;
        }

        /** The most admissions inside any span of {@code spanMillis} (two pointers over the sorted times). */
        long peakInAnySpan(long spanMillis) {
            long best = 0;
            int first = 0;
            for (int last = 0; last < millis.length; last++) {
                while (millis[last] - millis[first] >= spanMillis) {
                    first++;
                }
                best = Math.max(best, last - first + 1);
            }
            return best;
        }
    }

    /**
     * Many threads spending from one hot key as fast as they can, recording the wall-clock
     * millisecond of every admission.
     */
    static final class HotKeyLoad {

        /** A count-bounded run and the server-time span that contains every one of its decisions. */
        record Result(long decisions, Admissions admissions, double elapsedSeconds) {

            /** The most a bucket with {@code policy} can have admitted over this run: capacity + rate × elapsed. */
            long bound(BucketPolicy policy) {
                return (long) Math.floor(policy.admissionBound(elapsedSeconds));
            }

            /** Admissions above {@link #bound}, or 0. */
            long overAdmissions(BucketPolicy policy) {
                return Math.max(0, admissions.count() - bound(policy));
            }

            /** How far below {@link #bound} the admissions stayed, or 0. */
            long shortfall(BucketPolicy policy) {
                return Math.max(0, bound(policy) - admissions.count());
            }
        }

        private static final Duration WARM_UP = Duration.ofMillis(300);

        private HotKeyLoad() {
        }

        /**
         * {@code threads} workers making {@code decisions} decisions on {@code key}, bracketed by Redis
         * {@code TIME} as tightly as a client can: the worker with the first decision reads TIME right
         * before it while every other worker waits at a gate, and the worker that completes the last
         * decision reads TIME right after it. Every decision's script-side time lies between the two,
         * within a round trip of each end, so {@code capacity + rate × elapsed} bounds the admissions
         * with no thread-pool start-up or shut-down in it.
         */
        static Result run(RateLimiter limiter, String key, int threads, long decisions, JedisPool pool) throws InterruptedException {
            warmUp(limiter, key, threads);
            ConcurrentLinkedQueue<Long> admitted = new ConcurrentLinkedQueue<>();
            CountDownLatch firstDecided = new CountDownLatch(1);
            AtomicLong completed = new AtomicLong();
            long[] bracket = new long[2];
            LoadResult load = LoadRunner.workers(threads).operations(decisions).run((worker, sequence) -> {
                try {
                    if (sequence == 0) {
                        bracket[0] = serverMicros(pool);
                    } else {
                        firstDecided.await();
                    }
                    if (limiter.tryAcquire(key).allowed()) {
                        admitted.add(System.currentTimeMillis());
                    }
                } finally {
                    if (sequence == 0) {
                        firstDecided.countDown();
                    }
                    if (completed.incrementAndGet() == decisions) {
                        bracket[1] = serverMicros(pool);
                    }
                }
            });
            requireNoErrors(load);
            return new Result(load.operations(), Admissions.of(admitted), (bracket[1] - bracket[0]) / 1e6);
        }

        /**
         * Unmeasured decisions on another key first, so that every thread has its pooled connection and the code is
         * compiled. A new bucket starts full, and refill stops at capacity: whatever accrues before the threads spend
         * the first 100 tokens is lost. Measured on a busy 2-core machine (load average 11–14), the first 100
         * admissions took 37–44 ms with a cold pool, 16–112 ms after 1,000 warm-up decisions, 6–10 ms after 5,000,
         * and 6–19 ms (once 45) after this 300 ms warm-up, which costs Bucket4j no more than 300 ms either.
         */
        private static void warmUp(RateLimiter limiter, String key, int threads) throws InterruptedException {
            String warmUpKey = key + ":warm-up";
            requireNoErrors(LoadRunner.workers(threads).duration(WARM_UP).run((worker, sequence) -> limiter.tryAcquire(warmUpKey)));
        }

        /**
         * One load shared by several limiters: decision {@code n} goes to limiter {@code n % limiters.size()}
         * (on its own key), so every limiter sees the same threads, arrival pattern and start time.
         *
         * @return each limiter's admissions, in the order given
         */
        static List<Admissions> interleaved(List<RateLimiter> limiters, List<String> keys, LoadRunner load) throws InterruptedException {
            List<ConcurrentLinkedQueue<Long>> admitted = limiters.stream().map(l -> new ConcurrentLinkedQueue<Long>()).toList();
            requireNoErrors(load.run((worker, sequence) -> {
                int which = (int) (sequence % limiters.size());
                if (limiters.get(which).tryAcquire(keys.get(which)).allowed()) {
                    admitted.get(which).add(System.currentTimeMillis());
                }
            }));
            return admitted.stream().map(Admissions::of).toList();
        }

        private static void requireNoErrors(LoadResult load) {
            if (load.errors() > 0) {
                throw new IllegalStateException("Decisions failed during the load: " + load.errorsByType());
            }
        }
    }
}
