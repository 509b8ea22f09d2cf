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
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new connection per request against a pool: every request of {@link PoolStrategy#PER_REQUEST}
 * pays a TCP handshake, the start-up and authentication exchange and the fork of a PostgreSQL
 * backend, for a transaction that takes a fraction of that. The experiment runs the same load
 * through every strategy of the enum the benchmarks share, and times {@code DriverManager.getConnection}
 * on its own.
 */
@Lab
class ConnectionPerRequestTest {

    private static final int CLIENTS = 8;

    @Test
    void aPooledConnectionRunsTenTimesTheTransactionsOfAConnectionPerRequest(Scale scale, LabReport report) throws Exception {
        Duration duration = scale.pick(Duration.ofMillis(1_500), Duration.ofSeconds(10));
        double pooled = throughput(PoolStrategy.HIKARI, duration).throughputPerSecond();
        double perRequest = throughput(PoolStrategy.PER_REQUEST, duration).throughputPerSecond();
        double ratio = pooled / perRequest;

        report.metric("pooled_vs_per_request_ratio", ratio, "ratio",
                "HikariCP (pool " + CLIENTS + ") over a new connection per transaction, " + CLIENTS
                        + " clients, pgbench-like transaction.");
        assertThat(ratio).as("pooled %.0f tx/s against per-request %.0f tx/s", pooled, perRequest).isGreaterThanOrEqualTo(10.0);
    }

    @Experiment
    void everyStrategyAndTheCostOfOneConnect(Scale scale, LabReport report) throws Exception {
        Duration duration = scale.pick(Duration.ofSeconds(1), Duration.ofSeconds(10));
        ReportTable table = ReportTable.of("Strategies, " + CLIENTS + " clients, pool " + CLIENTS + ", pgbench-like transaction",
                "strategy", "tx/s", "p50 (ms)", "p99 (ms)", "errors");
        List<String> names = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        for (PoolStrategy strategy : EnumSet.complementOf(EnumSet.of(PoolStrategy.HIKARI_PGBOUNCER))) {
            LoadResult result = throughput(strategy, duration);
            table.row(strategy.name(), result.throughputPerSecond(), result.latency().p50Ms(), result.latency().p99Ms(), result.errors());
            names.add(strategy.name());
            rates.add(result.throughputPerSecond());
            assertThat(result.errors()).as(strategy.name()).isZero();
        }
        report.table(table);
        report.bars("strategies.png", "Connection strategies: pgbench-like transaction, " + CLIENTS + " clients", "strategy (name)",
                "throughput (tx/s)").series("tx/s", names, rates);

        LatencySummary connect = connectTimes(scale.pick(100, 1_000));
        report.metric("connect_ms_p50", connect.p50Ms(), "ms", "DriverManager.getConnection to the embedded PostgreSQL on loopback, p50.");
        report.table(ReportTable.of("DriverManager.getConnection, one at a time", "connects", "p50 (ms)", "p99 (ms)", "max (ms)")
                .row(connect.count(), connect.p50Ms(), connect.p99Ms(), connect.maxMs()));
        assertThat(connect.count()).isPositive();
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
