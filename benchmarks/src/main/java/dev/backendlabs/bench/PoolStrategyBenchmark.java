package dev.backendlabs.bench;

import dev.backendlabs.pooling.PgbenchWorkload;
import dev.backendlabs.pooling.PoolStrategy;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.ThreadParams;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.sql.SQLException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Which way of getting a connection carries the most transactions on a real PostgreSQL?
 *
 * <p>Every variant of the pooling lab's {@link PoolStrategy} runs the lab's pgbench-like
 * transaction (pgbench's TPC-B statements in one function call, then a commit) on PostgreSQL 17,
 * with the lab's database settings ({@code synchronous_commit = off}). The threads are the
 * clients ({@code -t}), {@code poolSize} the connections:
 *
 * <ul>
 *   <li>{@code HIKARI} (the baseline), {@code DBCP2}, {@code TOMCAT}, {@code AGROAL}: fixed-size
 *       pools in HikariCP-benchmark's "safe" configurations (DBCP2 validates every borrow, its
 *       default; Tomcat at most once a second);</li>
 *   <li>{@code PER_REQUEST}: no pool, a new physical connection per transaction;</li>
 *   <li>{@code HIKARI_PGBOUNCER}: HikariCP whose connections go to PgBouncer in transaction mode
 *       ({@code default_pool_size} 10), one more hop per statement.</li>
 * </ul>
 *
 * <p>Expect the four pools within a few tens of percent of each other — a transaction costs far
 * more than any pool's bookkeeping, DBCP2's validation round trip aside — PgBouncer somewhat below
 * them, and a connection per request an order of magnitude below. The pool overhead alone is
 * {@link PoolCycleBenchmark}'s subject.
 *
 * <h2>How to run this test</h2>
 * <pre>
 * ./mvnw -pl benchmarks package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar PoolStrategyBenchmark -t 8
 * java -jar benchmarks/target/benchmarks.jar PoolStrategyBenchmark -t 32 -p poolSize=8
 * </pre>
 * {@code HIKARI_PGBOUNCER} needs the {@code pgbouncer} binary in embedded mode (Debian/Ubuntu:
 * {@code sudo apt-get install -y pgbouncer}; macOS: {@code brew install pgbouncer}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PoolStrategyBenchmark extends LabBenchmark {

    private static final LabNamespace NAMESPACE = new LabNamespace("pooling-math");
    private static final int BRANCHES = 8;

    /** Every variant; without {@code -p strategy=…} JMH runs them all, and so does the CI smoke run. */
    @Param
    public PoolStrategy strategy;

    @Param({"8"})
    public int poolSize;

    private PoolStrategy.Pool pool;
    private PgbenchWorkload workload;

    @Setup(Level.Trial)
    public void open() throws SQLException {
        try (var loader = Backends.postgres().dataSource(NAMESPACE, config -> config.setMaximumPoolSize(1))) {
            workload = PgbenchWorkload.load(loader, BRANCHES);
        }
        pool = strategy.open(strategy.target(NAMESPACE), poolSize);
    }

    @Override
    protected void close() {
        pool.close();
    }

    /** Each benchmark thread draws its own accounts, tellers and branches. */
    @State(Scope.Thread)
    public static class Client {
        SplittableRandom random;

        @Setup(Level.Trial)
        public void seed(ThreadParams thread) {
            random = new SplittableRandom(42 + thread.getThreadIndex());
        }
    }

    @Benchmark
    public int transaction(Client client) throws SQLException {
        return workload.transaction(pool.dataSource(), client.random);
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(PoolStrategyBenchmark.class.getSimpleName()).threads(8).build()).run();
    }
}
