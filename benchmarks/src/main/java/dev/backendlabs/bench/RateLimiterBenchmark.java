package dev.backendlabs.bench;

import dev.backendlabs.ratelimit.BucketPolicy;
import dev.backendlabs.ratelimit.Decision;
import dev.backendlabs.ratelimit.LimiterVariant;
import dev.backendlabs.ratelimit.RateLimiter;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.RedisBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * How many rate-limit decisions per second can a Java service make against one Redis, and what
 * does atomicity cost?
 *
 * <p>The limiter is a parameter, one of the lab's {@link LimiterVariant}s — the same ones its
 * hot-key experiment compares:
 * <ul>
 *   <li>{@code EVALSHA_CEILING} (baseline): EVALSHA of a script that only returns 1, with the same
 *       key and arguments — the round trip and nothing else, the ceiling of any one-script limiter.</li>
 *   <li>{@code LUA_TOKEN_BUCKET}: the lab's limiter, one EVALSHA of {@code token_bucket.lua}.</li>
 *   <li>{@code GCRA}: the same limit kept as one number, one EVALSHA of {@code gcra.lua}.</li>
 *   <li>{@code SLIDING_LOG}, {@code SLIDING_COUNTER}: the sliding windows with the bucket's quota (capacity per time to
 *       fill), one EVALSHA each: a sorted set per key with a member per admission, and two fixed-window counts.</li>
 *   <li>{@code FIXED_WINDOW}: {@code INCRBY}, and {@code PEXPIRE} on a window's first request: the naive limiter's cost.</li>
 *   <li>{@code BUCKET4J}: Bucket4j's Jedis backend, read then compare-and-swap, retried on conflict.</li>
 * </ul>
 *
 * <p>The policy is never exceeded (capacity and rate 10^9), so every decision spends a token and
 * writes: the common case of a caller under its quota, and the one where compare-and-swap
 * conflicts. {@code keys=hot} sends every thread to one key; {@code keys=random} spreads them over
 * 10,000 keys with a seeded random per thread. The Jedis pool is sized to the thread count, so
 * the benchmark measures Redis and not waits for a connection.
 *
 * <p>Expect the Lua bucket and GCRA a little below the ceiling (the script's own work, a few µs of
 * Redis CPU), the sliding log below them (five commands per decision on a sorted set), and all of
 * them far above Bucket4j on the hot key, where CAS conflicts grow with the thread count.
 *
 * <h2>How to run this test</h2>
 * <pre>
 * ./mvnw -pl benchmarks package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar RateLimiterBenchmark -t 1
 * java -jar benchmarks/target/benchmarks.jar RateLimiterBenchmark -t 8
 * java -jar benchmarks/target/benchmarks.jar RateLimiterBenchmark -t 32
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RateLimiterBenchmark extends LabBenchmark {

    private static final int RANDOM_KEYS = 10_000;
    private static final BucketPolicy WITHIN_LIMIT = BucketPolicy.perSecond(1_000_000_000, 1_000_000_000);

    @Param({"LUA_TOKEN_BUCKET", "GCRA", "SLIDING_LOG", "SLIDING_COUNTER", "FIXED_WINDOW", "EVALSHA_CEILING", "BUCKET4J"})
    public LimiterVariant limiter;

    @Param({"hot", "random"})
    public String keys;

    private JedisPool pool;
    private RateLimiter decider;
    private String prefix;

    @Setup(Level.Trial)
    public void start(BenchmarkParams params) {
        RedisBackend redis = Backends.redis();
        pool = redis.newPool(params.getThreads(), Duration.ofSeconds(2));
        decider = limiter.create(pool, WITHIN_LIMIT);
        prefix = "bench:rate-limiter:" + System.nanoTime() + ":";
    }

    @Override
    protected void close() {
        pool.close();
    }

    /** Each thread's key stream: one key, or a seeded walk over 10,000. */
    @State(Scope.Thread)
    public static class Keys {
        private SplittableRandom random;
        private boolean hot;
        private String prefix;

        @Setup(Level.Trial)
        public void seed(RateLimiterBenchmark benchmark, ThreadParams thread) {
            random = new SplittableRandom(42 + thread.getThreadIndex());
            hot = benchmark.keys.equals("hot");
            prefix = benchmark.prefix;
        }

        String next() {
            return hot ? prefix + "hot" : prefix + random.nextInt(RANDOM_KEYS);
        }
    }

    @Benchmark
    public Decision decide(Keys keys) {
        return decider.tryAcquire(keys.next());
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(RateLimiterBenchmark.class.getSimpleName()).threads(8).build()).run();
    }
}
