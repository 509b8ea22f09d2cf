package dev.backendlabs.pooling;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LatencyRecorder;
import dev.backendlabs.shared.load.LatencySummary;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new connection per request against a pool: every request of {@link PoolStrategy#PER_REQUEST}
 * pays a TCP handshake, the start-up and authentication exchange and the fork of a PostgreSQL
 * backend, for a transaction that takes a fraction of that. The same load runs once through every
 * strategy of the enum the benchmarks share (a 0.3 s warm-up, then 1 s measured at the quick
 * scale, 10 s at the full one); the claim reads HikariCP and the connection per request from that
 * run, the experiment charts every strategy and times {@code DriverManager.getConnection} on its own.
 */
@Lab
class ConnectionPerRequestTest {

    private static final int CLIENTS = 8;
    private static final Map<PoolStrategy, LoadResult> RESULTS = new EnumMap<>(PoolStrategy.class);

    /** Every strategy but PgBouncer (PgBouncerMultiplexingTest's subject), one after the other, on the same load. */
    @BeforeAll
    static void runEveryStrategy(Scale scale) throws Exception {
        Duration duration = scale.pick(Duration.ofSeconds(1), Duration.ofSeconds(10));
        for (PoolStrategy strategy : EnumSet.complementOf(EnumSet.of(PoolStrategy.HIKARI_PGBOUNCER))) {
            RESULTS.put(strategy, throughput(strategy, duration));
        }
    }

    @Test
    void aPooledConnectionRunsTenTimesTheTransactionsOfAConnectionPerRequest(LabReport report) {
        LoadResult pooled = RESULTS.get(PoolStrategy.HIKARI);
        LoadResult perRequest = RESULTS.get(PoolStrategy.PER_REQUEST);
        double ratio = committedPerSecond(pooled) / committedPerSecond(perRequest);

        report.metric("pooled_vs_per_request_ratio", ratio, "ratio",
                "HikariCP (pool " + CLIENTS + ") over a new connection per transaction, " + CLIENTS
                        + " clients, pgbench-like transaction, committed transactions per second.");
        assertThat(pooled.errors() + perRequest.errors()).as("failed transactions, pooled or per request").isZero();
        assertThat(ratio).as("pooled %.0f tx/s against per-request %.0f tx/s", committedPerSecond(pooled), committedPerSecond(perRequest))
                .isGreaterThanOrEqualTo(10.0);
    }

    @Experiment
    void everyStrategyAndTheCostOfOneConnect(Scale scale, LabReport report) throws Exception {
        ReportTable table = ReportTable.of("Strategies, " + CLIENTS + " clients, pool " + CLIENTS + ", pgbench-like transaction",
                "strategy", "tx/s", "p50 (ms)", "p99 (ms)", "errors");
        List<String> names = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        RESULTS.forEach((strategy, result) -> {
            table.row(strategy.name(), committedPerSecond(result), result.latency().p50Ms(), result.latency().p99Ms(), result.errors());
            names.add(strategy.name());
            rates.add(committedPerSecond(result));
        });
        report.table(table);
        report.bars("strategies.png", "Connection strategies: pgbench-like transaction, " + CLIENTS + " clients", "strategy (name)",
                "throughput (tx/s)").series("tx/s", names, rates);

        LatencySummary connect = connectTimes(scale.pick(100, 1_000));
        report.metric("connect_ms_p50", connect.p50Ms(), "ms", "DriverManager.getConnection to the embedded PostgreSQL on loopback, p50.");
        report.table(ReportTable.of("DriverManager.getConnection, one at a time", "connects", "p50 (ms)", "p99 (ms)", "max (ms)")
                .row(connect.count(), connect.p50Ms(), connect.p99Ms(), connect.maxMs()));
        assertThat(RESULTS).as("every strategy but PgBouncer ran, without an error").hasSize(PoolStrategy.values().length - 1)
                .allSatisfy((strategy, result) -> assertThat(result.errors()).as(strategy.name()).isZero());
        assertThat(connect.count()).isPositive();
    }

    /** Transactions that committed, per second: LoadResult's throughput counts a failed one too, and a failure can be fast. */
    private static double committedPerSecond(LoadResult result) {
        return result.successes() / (result.elapsed().toNanos() / 1e9);
    }

    private static LoadResult throughput(PoolStrategy strategy, Duration duration) throws Exception {
        PgbenchWorkload workload = PoolingMathFixture.workload();
        try (PoolStrategy.Pool pool = strategy.open(PoolingMathFixture.target(strategy), CLIENTS)) {
            SplittableRandom[] randoms = new SplittableRandom[CLIENTS];
            for (int i = 0; i < CLIENTS; i++) {
                randoms[i] = new SplittableRandom(i);
            }
            LoadRunner.workers(CLIENTS).duration(Duration.ofMillis(300)).run((client, sequence) ->
                    workload.transaction(pool.dataSource(), randoms[client]));
            return LoadRunner.workers(CLIENTS).duration(duration).run((client, sequence) ->
                    workload.transaction(pool.dataSource(), randoms[client]));
        }
    }

    private static LatencySummary connectTimes(int connects) throws Exception {
        PostgresBackend postgres = Backends.postgres();
        String url = postgres.jdbcUrl(PoolingMathFixture.NAMESPACE.database());
        LatencyRecorder latency = new LatencyRecorder();
        for (int i = 0; i < connects; i++) {
            long begin = System.nanoTime();
            try (Connection ignored = DriverManager.getConnection(url, postgres.user(), postgres.password())) {
                latency.recordSince(begin);
            }
        }
        return latency.summary();
    }
}
