package dev.backendlabs.bench;

import dev.backendlabs.pooling.PoolStrategy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;

/**
 * What does the pool itself cost? HikariCP-benchmark's two cycles, on the same pools as the
 * pooling lab's {@link PoolStrategy}, against a JDBC driver that does nothing
 * ({@link PoolCycleBenchmarkStubDriver}): no network, no database, only the pool's own work.
 *
 * <ul>
 *   <li>{@code cycleConnection}: {@code DataSource.getConnection()} then {@code Connection.close()}
 *       (HikariCP-benchmark's {@code ConnectionBench}). With {@code maxPoolSize} 32 and 32 threads
 *       it is uncontended, with 16 contended, as in the published chart.</li>
 *   <li>{@code cycleStatement}: {@code prepareStatement}, {@code execute}, {@code close} on a
 *       connection each thread holds for the iteration ({@code StatementBench}); the pool is
 *       sized to the threads, as there.</li>
 * </ul>
 *
 * <p>The pools are configured as {@link PoolStrategy} configures them for the lab (fixed size,
 * no auto-commit, HikariCP-benchmark's "safe" settings: DBCP2 validates every borrow, Tomcat
 * validates at most once a second and tracks statements). The baseline is HikariCP; read the
 * others as ratios to it within one run.
 *
 * <h2>How to run this test</h2>
 * <pre>
 * ./mvnw -pl benchmarks package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar PoolCycleBenchmark -t 32 -p maxPoolSize=32
 * java -jar benchmarks/target/benchmarks.jar PoolCycleBenchmark.cycleConnection -t 32 -p maxPoolSize=16
 * </pre>
 * HikariCP-benchmark runs 8 threads by default and 32 for its chart; on a two-core machine 32
 * threads mostly measure the scheduler, so compare the ranking and ratios, not the ops/ms.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PoolCycleBenchmark extends LabBenchmark {

    @Param({"HIKARI", "DBCP2", "TOMCAT", "AGROAL"})
    public PoolStrategy pool;

    @Param({"32", "16"})
    public int maxPoolSize;

    private PoolStrategy.Pool opened;
    DataSource dataSource;

    @Setup(Level.Trial)
    public void open(BenchmarkParams params) {
        PoolCycleBenchmarkStubDriver.register();
        int size = params.getBenchmark().endsWith("cycleStatement") ? params.getThreads() : maxPoolSize;
        opened = pool.open(new PoolStrategy.Target(PoolCycleBenchmarkStubDriver.URL, "stub", ""), size);
        dataSource = opened.dataSource();
    }

    @Override
    protected void close() {
        opened.close();
    }

    /** The connection a thread holds through an iteration of {@code cycleStatement}. */
    @State(Scope.Thread)
    public static class Held {
        Connection connection;

        @Setup(Level.Iteration)
        public void borrow(PoolCycleBenchmark benchmark) throws SQLException {
            connection = benchmark.dataSource.getConnection();
        }

        @TearDown(Level.Iteration)
        public void giveBack() throws SQLException {
            connection.close();
        }
    }

    @Benchmark
    public Connection cycleConnection() throws SQLException {
        Connection connection = dataSource.getConnection();
        connection.close();
        return connection;
    }

    @Benchmark
    public PreparedStatement cycleStatement(Held held) throws SQLException {
        PreparedStatement statement = held.connection.prepareStatement("INSERT INTO test (column) VALUES (?)");
        statement.execute();
        statement.close();
        return statement;
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(PoolCycleBenchmark.class.getSimpleName()).threads(32).build()).run();
    }
}
