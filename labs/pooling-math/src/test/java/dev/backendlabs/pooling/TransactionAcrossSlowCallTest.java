package dev.backendlabs.pooling;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A transaction held across a slow call collapses a pool's capacity to N/H. Pool 10, 1 ms of SQL
 * before the call and 1 ms after it (2 ms of database work), a 200 ms remote call, 100 clients
 * in a closed loop: with the call inside the transaction each request holds a connection 202 ms
 * and the pool serves N/H = 10 / 0.202 s ≈ 49.5 requests per second, the sessions idle in
 * transaction; with the call between two short transactions the same pool and clients run
 * about ten times as many, limited by the clients, not the pool.
 */
@Lab
class TransactionAcrossSlowCallTest {

    private static final int POOL = 10;
    private static final int CLIENTS = 100;
    private static final Duration CALL = Duration.ofMillis(200);
    private static final Duration SQL_EACH_SIDE = Duration.ofMillis(1);
    /**
     * The pattern's mean idle-in-transaction count as a share of the naive one's. Holding the call
     * inside keeps a session idle in transaction 200 of every 202 ms (a mean near 10); between
     * transactions a session is idle in transaction only from a statement's result to the
     * {@code COMMIT} the client sends next — microseconds on a quiet machine, but other builds on
     * this one stalled the clients for over 100 ms at times (8 sessions at once in one run), so
     * the bound is a quarter of the naive mean, far below what a held call gives.
     */
    private static final double IDLE_SHARE = 0.25;

    @Test
    void aCallInsideTheTransactionCapsThroughputAtNOverHWithTheSessionsIdleInTransaction(Scale scale, LabReport report) throws Exception {
        Duration duration = scale.pick(Duration.ofSeconds(3), Duration.ofSeconds(20));
        Measured inside = measure(CallInsideTransaction::new, duration);
        Measured between = measure(CallBetweenTransactions::new, duration);
        double ceiling = PoolMath.throughputCeiling(POOL, CALL.plus(SQL_EACH_SIDE.multipliedBy(2)));
        double errorPct = 100 * Math.abs(inside.load().throughputPerSecond() - ceiling) / ceiling;

        report.metric("tx_across_call_ceiling_error_pct", errorPct, "%",
                "Gap between the measured throughput with a 200 ms call inside the transaction and N/H = 10 / 0.202 s.");
        report.table(ReportTable.of("Pool " + POOL + ", " + CLIENTS + " clients, 200 ms remote call, 2 ms of SQL", "where the call is",
                        "requests/s",
                        "N/H (requests/s)", "p50 (ms)", "idle in transaction (most seen)", "idle in transaction (mean)")
                .row("inside the transaction", inside.load().throughputPerSecond(), ceiling, inside.load().latency().p50Ms(),
                        inside.idleMax(),
                        inside.idleMean())
                .row("between two transactions", between.load().throughputPerSecond(), PoolMath.throughputCeiling(POOL, SQL_EACH_SIDE),
                        between.load().latency().p50Ms(), between.idleMax(), between.idleMean()));
        assertThat(errorPct).as("inside: %.1f requests/s against N/H = %.1f", inside.load().throughputPerSecond(), ceiling)
                .isLessThanOrEqualTo(10.0);
        assertThat(inside.idleMax()).as("sessions idle in transaction during the calls").isEqualTo(POOL);
        assertThat(between.idleMean()).as("the same calls made between transactions: sessions idle in transaction on average")
                .isLessThanOrEqualTo(IDLE_SHARE * inside.idleMean());
        assertThat(between.load().throughputPerSecond()).as("the clients, not the pool, limit the pattern")
                .isGreaterThan(5 * inside.load().throughputPerSecond());
        assertThat(inside.load().errors() + between.load().errors()).isZero();
    }

    /**
     * @param idleMax  the most sessions seen idle in transaction at once
     * @param idleMean their mean over the samples (every 50 ms)
     */
    private record Measured(LoadResult load, int idleMax, double idleMean) {
    }

    private static Measured measure(Function<DataSource, RemoteCallFlow> flow, Duration duration) throws Exception {
        PoolingMathFixture.workload();
        try (HikariDataSource pool = PoolingMathFixture.filledPool(POOL, config -> config.setConnectionTimeout(60_000));
             HikariDataSource observer = PoolingMathFixture.filledPool(1, config -> { })) {
            RemoteCallFlow requests = flow.apply(pool);
            List<Integer> idle = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean running = new AtomicBoolean(true);
            Thread sampler = Thread.ofPlatform().start(() -> sampleIdleInTransaction(observer, idle, running));
            LoadResult load;
            try {
                load = LoadRunner.workers(CLIENTS).virtualThreads(true).duration(duration).run((client, sequence) ->
                        requests.execute(TransactionAcrossSlowCallTest::readAccount, TransactionAcrossSlowCallTest::remoteCall,
                                TransactionAcrossSlowCallTest::writeAccount));
            } finally {
                running.set(false);
                sampler.join();
            }
            return new Measured(load, idle.stream().mapToInt(Integer::intValue).max().orElseThrow(),
                    idle.stream().mapToInt(Integer::intValue).average().orElseThrow());
        }
    }

    /** 1 ms of database work that reads an account: the request's "SELECT … FOR UPDATE" stand-in. */
    private static Integer readAccount(Connection connection, Void nothing) throws SQLException {
        try (PreparedStatement read = connection.prepareStatement("SELECT abalance, pg_sleep(0.001) FROM pgbench_accounts WHERE aid = 1");
             ResultSet rows = read.executeQuery()) {
            rows.next();
            return rows.getInt(1);
        }
    }

    /** The remote service: 200 ms, no connection needed. */
    private static Integer remoteCall(Integer balance) throws InterruptedException {
        Thread.sleep(CALL);
        return balance;
    }

    /** 1 ms of database work that writes the reply. */
    private static Void writeAccount(Connection connection, Integer reply) throws SQLException {
        try (PreparedStatement write = connection.prepareStatement("SELECT pg_sleep(0.001)")) {
            write.execute();
        }
        return null;
    }

    private static void sampleIdleInTransaction(DataSource observer, List<Integer> idle, AtomicBoolean running) {
        try (Connection connection = observer.getConnection(); PreparedStatement count = connection.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'")) {
            while (running.get()) {
                try (ResultSet rows = count.executeQuery()) {
                    rows.next();
                    idle.add(rows.getInt(1));
                }
                Thread.sleep(50);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not sample pg_stat_activity", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
