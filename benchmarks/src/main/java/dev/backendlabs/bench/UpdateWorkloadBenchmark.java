package dev.backendlabs.bench;

import dev.backendlabs.mvcc.UpdateLayout;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * How many updates per second does one session get through, by table layout — and what does
 * indexing the updated column cost?
 *
 * <ul>
 *   <li>{@code layout=FILLFACTOR_100} (baseline): PostgreSQL's default; the first update on each
 *       full page must move the row to another page and add index entries.</li>
 *   <li>{@code FILLFACTOR_90}, {@code FILLFACTOR_70}: room kept free on every page, so updates
 *       stay on their page as heap-only tuples (no index entries).</li>
 *   <li>{@code INDEXED_COLUMN}: fillfactor 90 with an index on the updated column: no update can
 *       be heap-only, each one inserts into both indexes.</li>
 * </ul>
 *
 * <p>The lab's {@code UpdateLayout} builds the table ({@code accounts}-shaped, 100,000 rows, in
 * the lab's database of an embedded PostgreSQL 17 started in each fork, fsync on, autovacuum off
 * for the table). One operation is one update by primary key of a random row, {@value #BATCH} to a
 * transaction sent as one JDBC batch, rows sorted. No horizon is held: old versions are pruned as
 * pages fill. Expect the three unindexed layouts close together and the indexed one clearly
 * slower; the lab's {@code FillfactorExperimentTest} shows the HOT shares and sizes behind it.
 *
 * <h2>How to run this test</h2>
 * <pre>
 * ./mvnw -pl benchmarks package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar UpdateWorkloadBenchmark
 * java -jar benchmarks/target/benchmarks.jar UpdateWorkloadBenchmark -p layout=FILLFACTOR_90,INDEXED_COLUMN
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(UpdateWorkloadBenchmark.BATCH)
public class UpdateWorkloadBenchmark extends LabBenchmark {

    static final int BATCH = 10;

    @Param({"FILLFACTOR_100", "FILLFACTOR_90", "FILLFACTOR_70", "INDEXED_COLUMN"})
    public UpdateLayout layout;

    private int rows;
    private Connection connection;
    private PreparedStatement update;
    private SplittableRandom random;
    private final long[] ids = new long[BATCH];

    @Setup(Level.Trial)
    public void createTable() throws SQLException {
        rows = sized(100_000, 2_000);
        String table = "bench_" + layout.name().toLowerCase(Locale.ROOT);
        LabNamespace namespace = new LabNamespace("mvcc-bloat");
        Backends.postgres().createDatabaseIfMissing(namespace.database());
        connection = Backends.postgres().connect(namespace.database());
        layout.create(connection, table, rows);
        connection.setAutoCommit(false);
        update = connection.prepareStatement(UpdateLayout.updateSql(table));
        random = new SplittableRandom(1);
    }

    @Override
    protected void close() throws SQLException {
        update.close();
        connection.close();
    }

    @Benchmark
    public int[] update() throws SQLException {
        for (int i = 0; i < BATCH; i++) {
            ids[i] = 1 + random.nextInt(rows);
        }
        Arrays.sort(ids);
        for (long id : ids) {
            update.setLong(1, id);
            update.addBatch();
        }
        int[] counts = update.executeBatch();
        connection.commit();
        return counts;
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(UpdateWorkloadBenchmark.class.getSimpleName()).build()).run();
    }
}
