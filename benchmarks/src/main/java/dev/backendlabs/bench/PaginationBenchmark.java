package dev.backendlabs.bench;

import dev.backendlabs.pagination.FeedTable;
import dev.backendlabs.pagination.PageVariant;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * How long does a 50-row page take at depth N, with OFFSET and with keyset pagination?
 *
 * <p>The variant is one of the lab's {@link PageVariant}s, prepared as its depth experiment
 * prepares them:
 * <ul>
 *   <li>{@code OFFSET}: {@code ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET depth} through
 *       {@code OffsetPaginator} — the baseline most APIs start with.</li>
 *   <li>{@code KEYSET}: the page after the row at {@code depth - 1}, through
 *       {@code KeysetPaginator} with a signed cursor (decoding and verifying it, and signing the
 *       page's two cursors, is included).</li>
 * </ul>
 *
 * <p>The feed has 1,000,000 rows generated server-side (the lab's {@code FeedTable}), in an
 * embedded PostgreSQL 17 started in each fork. Expect OFFSET to grow about linearly with depth
 * (it reads and discards every skipped row) and keyset to stay flat (it seeks the index).
 *
 * <h2>How to run this test</h2>
 * <pre>
 * ./mvnw -pl benchmarks package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar PaginationBenchmark
 * java -jar benchmarks/target/benchmarks.jar PaginationBenchmark -p depth=0,500000
 * </pre>
 * Each fork builds the table first (about 10 s on two cores).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class PaginationBenchmark extends LabBenchmark {

    private static final int ROWS = sized(1_000_000, 20_000);
    private static final int PAGE = 50;

    /** The lab's two ways of reading a page at a depth, prepared as its depth experiment prepares them. */
    @Param({"KEYSET", "OFFSET"})
    public PageVariant variant;

    /** Rows before the page; multiples of 50. */
    @Param({"0", "1000", "10000", "100000", "500000"})
    public long depth;

    private Supplier<Object> page;

    @Setup(Level.Trial)
    public void createFeed() throws SQLException {
        if (depth % PAGE != 0 || depth < 0 || depth >= ROWS) {
            throw new IllegalArgumentException("depth must be a multiple of " + PAGE + " below " + ROWS + ", got " + depth);
        }
        DataSource dataSource = Backends.postgres().pool(new LabNamespace("keyset-pagination"));
        FeedTable table = new FeedTable("feed", "posts_bench");
        try (Connection connection = dataSource.getConnection()) {
            table.create(connection, ROWS);
        }
        page = variant.pageAt(dataSource, table, depth, PAGE);
    }

    @Benchmark
    public Object page() {
        return page.get();
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(PaginationBenchmark.class.getSimpleName()).build()).run();
    }
}
