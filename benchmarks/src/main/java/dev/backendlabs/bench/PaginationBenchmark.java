package dev.backendlabs.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.pagination.CursorCodec;
import dev.backendlabs.pagination.CursorKey;
import dev.backendlabs.pagination.CursorScope;
import dev.backendlabs.pagination.FeedTable;
import dev.backendlabs.pagination.KeysetPaginator;
import dev.backendlabs.pagination.OffsetPaginator;
import dev.backendlabs.pagination.Page;
import dev.backendlabs.pagination.PageRequest;
import dev.backendlabs.pagination.Post;
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

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * How long does a 50-row page take at depth N, with OFFSET and with keyset pagination?
 *
 * <ul>
 *   <li>{@code offset}: {@code ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET depth} through
 *       {@code OffsetPaginator} — the baseline most APIs start with.</li>
 *   <li>{@code keyset}: the page after the row at {@code depth - 1}, through
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
    private static final CursorScope READER = new CursorScope("bench-reader");

    /** Rows before the page; multiples of 1,000. */
    @Param({"0", "1000", "10000", "100000", "500000"})
    public long depth;

    private HikariDataSource dataSource;
    private OffsetPaginator offset;
    private KeysetPaginator keyset;
    private PageRequest keysetRequest;
    private int pageNumber;

    @Setup(Level.Trial)
    public void createFeed() throws SQLException {
        if (depth % 1000 != 0 || depth < 0 || depth >= ROWS) {
            throw new IllegalArgumentException("depth must be a multiple of 1,000 below " + ROWS + ", got " + depth);
        }
        dataSource = Backends.postgres().pool(new LabNamespace("keyset-pagination"));
        FeedTable table = new FeedTable("feed", "posts_bench");
        try (Connection connection = dataSource.getConnection()) {
            table.create(connection, ROWS);
        }
        CursorCodec codec = new CursorCodec(new CursorKey(1, "benchmark secret, at least 32 bytes long".getBytes(StandardCharsets.UTF_8)));
        offset = new OffsetPaginator(dataSource, table);
        keyset = new KeysetPaginator(dataSource, codec, table);
        pageNumber = (int) (depth / PAGE) + 1;
        keysetRequest = PageRequest.first(PAGE).at(cursorAt(depth));
    }

    /**
     * The cursor a client holds after reading {@code depth} rows: walk there with 1,000-row keyset
     * pages (cursors are bound to the order and filter, not to the page size).
     */
    private String cursorAt(long rows) {
        String cursor = null;
        for (long read = 0; read < rows; read += 1000) {
            Page<Post> page = keyset.page(READER, PageRequest.first(1000).at(cursor));
            cursor = page.nextCursor();
        }
        return cursor;
    }

    @Benchmark
    public List<Post> offset() {
        return offset.page(pageNumber, PAGE, OptionalInt.empty());
    }

    @Benchmark
    public Page<Post> keyset() {
        return keyset.page(READER, keysetRequest);
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(PaginationBenchmark.class.getSimpleName()).build()).run();
    }
}
