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
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

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
            return serverMicros(jedis);
        }
    }

    /** Redis {@code TIME} of the server {@code jedis} is connected to, in microseconds. */
    static long serverMicros(Jedis jedis) {
        List<String> time = jedis.time();
        return Long.parseLong(time.get(0)) * 1_000_000 + Long.parseLong(time.get(1));
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

    /** The wall clock in microseconds, as Redis {@code TIME} reads it: on one machine, the same clock. */
    static long wallMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }

    /**
     * Admissions, each with the client's wall-clock microsecond right before its request was sent and right after
     * its reply came; sorted by the reply.
     */
    record Admissions(long[] sentMicros, long[] answeredMicros) {

        /** From {@code {sent, answered}} pairs in any order. */
        static Admissions of(Collection<long[]> admissions) {
            long[][] sorted = admissions.toArray(long[][]::new);
            Arrays.sort(sorted, Comparator.comparingLong(admission -> admission[1]));
            return new Admissions(Arrays.stream(sorted).mapToLong(admission -> admission[0]).toArray(),
                    Arrays.stream(sorted).mapToLong(admission -> admission[1]).toArray());
        }

        long count() {
            return answeredMicros.length;
        }

        /** Reply times in milliseconds, sorted, for charts. */
        long[] answeredMillis() {
            return Arrays.stream(answeredMicros).map(micros -> micros / 1_000).toArray();
        }

        /** The most admissions answered inside any span of {@code spanMillis} (two pointers over the sorted reply times). */
        long peakInAnySpan(long spanMillis) {
            long span = spanMillis * 1_000;
            long best = 0;
            int first = 0;
            for (int last = 0; last < answeredMicros.length; last++) {
                while (answeredMicros[last] - answeredMicros[first] >= span) {
                    first++;
                }
                best = Math.max(best, last - first + 1);
            }
            return best;
        }

        /**
         * The most admissions whose whole round trip, from sent to answered, lies inside one span of {@code spanMillis}:
         * every one of them was decided inside that span, wherever in its round trip Redis decided it. So a count above a
         * limit is an over-admission for certain. {@link #peakInAnySpan} can exceed an exact limit by the few admissions
         * that scheduling jitter between a decision and the client's reading of the clock moves across a span's edge.
         */
        long certainPeakInAnySpan(long spanMillis) {
            long span = spanMillis * 1_000;
            Integer[] bySent = new Integer[answeredMicros.length];
            Arrays.setAll(bySent, i -> i);
            Arrays.sort(bySent, Comparator.comparingLong(i -> sentMicros[i]));
            long best = 0;
            for (int first = 0; first < bySent.length; first++) {
                long end = sentMicros[bySent[first]] + span;
                long inside = 0;
                for (int next = first; next < bySent.length && sentMicros[bySent[next]] < end; next++) {
                    if (answeredMicros[bySent[next]] < end) {
                        inside++;
                    }
                }
                best = Math.max(best, inside);
            }
            return best;
        }
    }

    /**
     * Many threads spending from one hot key as fast as they can, recording the wall-clock
     * microseconds around every admission.
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
            return run(limiter, key, threads, decisions, () -> serverMicros(pool));
        }

        /** The same, with the bracket read from {@code serverMicros}: Redis {@code TIME} of the node that holds the key. */
        static Result run(RateLimiter limiter, String key, int threads, long decisions, LongSupplier serverMicros)
                throws InterruptedException {
            warmUp(limiter, key, threads);
            ConcurrentLinkedQueue<long[]> admitted = new ConcurrentLinkedQueue<>();
            CountDownLatch firstDecided = new CountDownLatch(1);
            AtomicLong completed = new AtomicLong();
            long[] bracket = new long[2];
            LoadResult load = LoadRunner.workers(threads).operations(decisions).run((worker, sequence) -> {
                try {
                    if (sequence == 0) {
                        bracket[0] = serverMicros.getAsLong();
                    } else {
                        firstDecided.await();
                    }
                    long sent = wallMicros();
                    if (limiter.tryAcquire(key).allowed()) {
                        admitted.add(new long[] {sent, wallMicros()});
                    }
                } finally {
                    if (sequence == 0) {
                        firstDecided.countDown();
                    }
                    if (completed.incrementAndGet() == decisions) {
                        bracket[1] = serverMicros.getAsLong();
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
            warmUp(List.of(limiter), List.of(key), threads);
        }

        /** The same warm-up for limiters that will share a load ({@link #interleaved}), taking turns, each on another key. */
        static void warmUp(List<RateLimiter> limiters, List<String> keys, int threads) throws InterruptedException {
            requireNoErrors(LoadRunner.workers(threads).duration(WARM_UP).run((worker, sequence) -> {
                int which = (int) (sequence % limiters.size());
                limiters.get(which).tryAcquire(keys.get(which) + ":warm-up");
            }));
        }

        /**
         * One load shared by several limiters: decision {@code n} goes to limiter {@code n % limiters.size()}
         * (on its own key), so every limiter sees the same threads, arrival pattern and start time.
         *
         * @return each limiter's admissions, in the order given
         */
        static List<Admissions> interleaved(List<RateLimiter> limiters, List<String> keys, LoadRunner load) throws InterruptedException {
            List<ConcurrentLinkedQueue<long[]>> admitted = limiters.stream().map(l -> new ConcurrentLinkedQueue<long[]>()).toList();
            requireNoErrors(load.run((worker, sequence) -> {
                int which = (int) (sequence % limiters.size());
                long sent = wallMicros();
                if (limiters.get(which).tryAcquire(keys.get(which)).allowed()) {
                    admitted.get(which).add(new long[] {sent, wallMicros()});
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
