package dev.backendlabs.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.idempotency.ApiResponse;
import dev.backendlabs.idempotency.IdempotencySchema;
import dev.backendlabs.idempotency.IdempotencyVariant;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What does an idempotency key add to one write, and what does a replay cost?
 *
 * <p>The write is the idempotency-keys lab's payment intent (one INSERT), on PostgreSQL 17 with fsync
 * on; the variants are the lab's {@code IdempotencyVariant}, which its {@code FastPathOverheadExperimentTest}
 * measures too:
 * <ul>
 *   <li>{@code BARE_INSERT} (baseline): the INSERT alone, one transaction, no key;</li>
 *   <li>{@code FAST_PATH}: the key's claim ({@code INSERT … ON CONFLICT DO NOTHING RETURNING}), the INSERT and the
 *       stored answer in one transaction — one commit, three more statements;</li>
 *   <li>{@code CLAIM_AND_COMPLETE}: the claim committed on its own, then the INSERT and the answer in a second
 *       transaction — the recovery-point path's database cost without its provider call: two commits;</li>
 *   <li>{@code REPLAY}: a key that finished: the claim's INSERT conflicts, the stored answer is read.</li>
 * </ul>
 *
 * <p>Every call but a replay uses a new key, so the key table grows through the run (by some tens of
 * thousands of rows). A replay writes nothing, but it is not the cheapest variant: four round trips
 * (lock timeout, the conflicting claim, the read of the stored answer, commit) and a jsonb answer to
 * decode, against the bare insert's three, and a commit is cheap wherever fsync is (the reference
 * run: a replay 573 µs, the bare insert 250 µs; see benchmarks/results/README.md). Where fsync is slow
 * (a network disk), the writing variants move up and the replay does not.
 *
 * <h2>How to run this test</h2>
 * <pre>
 * ./mvnw -pl benchmarks package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar IdempotencyBenchmark
 * java -jar benchmarks/target/benchmarks.jar IdempotencyBenchmark -t 4
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class IdempotencyBenchmark extends LabBenchmark {

    @Param({"BARE_INSERT", "FAST_PATH", "CLAIM_AND_COMPLETE", "REPLAY"})
    public IdempotencyVariant variant;

    private final AtomicLong sequence = new AtomicLong();
    private HikariDataSource dataSource;
    private IdempotencyVariant.Target target;

    @Setup(Level.Trial)
    public void start() throws SQLException {
        dataSource = Backends.postgres().dataSource(new LabNamespace("idempotency-keys"), config -> config.setMaximumPoolSize(8));
        try (Connection connection = dataSource.getConnection()) {
            IdempotencySchema.create(connection);
            IdempotencySchema.truncate(connection);
        }
        target = new IdempotencyVariant.Target(dataSource);
    }

    @Override
    protected void close() {
        dataSource.close();
    }

    @Benchmark
    public ApiResponse write() throws SQLException {
        return variant.run(target, sequence.getAndIncrement());
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(IdempotencyBenchmark.class.getSimpleName()).build()).run();
    }
}
