package dev.backendlabs.bench;

import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.PostgresBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import redis.clients.jedis.Jedis;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What does one trip to a server cost, next to not leaving the JVM at all?
 *
 * <p>Every pattern in these labs spends round trips: a rate limiter's EVALSHA, an idempotency
 * key's INSERT, a relay's batch. This benchmark prices the cheapest possible trip to each
 * server on loopback, so that later benchmarks can be read as "N round trips plus work".
 *
 * <ul>
 *   <li>{@code inMemoryBaseline}: a {@code ConcurrentHashMap} lookup, the cost of not going out.</li>
 *   <li>{@code redisPing}: {@code PING} on one Jedis connection per thread (request, reply, no work).</li>
 *   <li>{@code postgresSelect1}: a prepared {@code SELECT 1} on one JDBC connection per thread
 *       (the extended protocol: parse once, then bind/execute/sync per call).</li>
 * </ul>
 *
 * <p>Servers come from {@code Backends} in the forked JVM ({@code -Dlabs.backend=...} selects the
 * mode; embedded by default without Docker). Expect the two servers within a few times of each
 * other and both two to three orders of magnitude above the baseline: on loopback the cost is
 * the kernel's socket round trip and the server's event loop, not the network.
 *
 * <h2>How to run this test</h2>
 * <pre>
 * ./mvnw -pl benchmarks package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar RoundTripBenchmark -t 1
 * java -jar benchmarks/target/benchmarks.jar RoundTripBenchmark -t 4
 * </pre>
 * Compare the ratios within one run; absolute numbers on a shared 2-core machine are noisy.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RoundTripBenchmark extends LabBenchmark {

    /** One connection to each server per benchmark thread, as a pooled client would hold one. */
    @State(Scope.Thread)
    public static class Clients {
        Jedis redis;
        Connection postgres;
        PreparedStatement select1;

        @Setup(Level.Trial)
        public void connect() throws SQLException {
            redis = Backends.redis().connect();
            PostgresBackend pg = Backends.postgres();
            postgres = pg.connect("postgres");
            select1 = postgres.prepareStatement("SELECT 1");
        }

        @TearDown(Level.Trial)
        public void close() throws SQLException {
            redis.close();
            select1.close();
            postgres.close();
        }
    }

    /** A small map shared by all threads: the in-JVM lookup a cache hit would cost. */
    @State(Scope.Benchmark)
    public static class LocalCache {
        final ConcurrentHashMap<String, String> map = new ConcurrentHashMap<>();

        @Setup(Level.Trial)
        public void fill() {
            for (int i = 0; i < 1_000; i++) {
                map.put("key-" + i, "value-" + i);
            }
        }
    }

    @Benchmark
    public String inMemoryBaseline(LocalCache cache) {
        return cache.map.get("key-42");
    }

    @Benchmark
    public String redisPing(Clients clients) {
        return clients.redis.ping();
    }

    @Benchmark
    public int postgresSelect1(Clients clients) throws SQLException {
        try (ResultSet rows = clients.select1.executeQuery()) {
            rows.next();
            return rows.getInt(1);
        }
    }

    public static void main(String[] args) throws RunnerException {
        Options options = new OptionsBuilder().include(RoundTripBenchmark.class.getSimpleName()).build();
        new Runner(options).run();
    }
}
