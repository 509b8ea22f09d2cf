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

    @Test
    void aCallInsideTheTransactionCapsThroughputAtNOverHWithTheSessionsIdleInTransaction(Scale scale, LabReport report) throws Exception {
        Duration duration = scale.pick(Duration.ofSeconds(3), Duration.ofSeconds(20));
        Measured inside = measure(CallInsideTransaction::new, duration);
        Measured between = measure(CallBetweenTransactions::new, duration);
        double ceiling = PoolMath.throughputCeiling(POOL, CALL.plus(SQL_EACH_SIDE.multipliedBy(2)));
        double errorPct = 100 * Math.abs(inside.load().throughputPerSecond() - ceiling) / ceiling;

        report.metric("tx_across_call_ceiling_error_pct", errorPct, "%",
                "Gap between the measured throughput with a 200 ms call inside the transaction and N/H = 10 / 0.202 s.");
        report.table(ReportTable.of("Pool " + POOL + ", " + CLIENTS + " clients, 200 ms remote call, 2 ms of SQL", "where the call is", "requests/s",
                        "N/H (requests/s)", "p50 (ms)", "idle in transaction (most seen)", "… for over 100 ms (most seen)")
                .row("inside the transaction", inside.load().throughputPerSecond(), ceiling, inside.load().latency().p50Ms(), inside.idleMax(),
                        inside.idleThroughCallMax())
                .row("between two transactions", between.load().throughputPerSecond(), PoolMath.throughputCeiling(POOL, SQL_EACH_SIDE),
                        between.load().latency().p50Ms(), between.idleMax(), between.idleThroughCallMax()));
        assertThat(errorPct).as("inside: %.1f requests/s against N/H = %.1f", inside.load().throughputPerSecond(), ceiling)
                .isLessThanOrEqualTo(10.0);
        assertThat(inside.idleMax()).as("sessions idle in transaction during the calls").isEqualTo(POOL);
        assertThat(inside.idleThroughCallMax()).as("idle in transaction for over half a call").isPositive();
        assertThat(between.idleThroughCallMax()).as("the same calls made between transactions: none idle through a call").isZero();
        assertThat(between.load().throughputPerSecond()).as("the clients, not the pool, limit the pattern")
                .isGreaterThan(5 * inside.load().throughputPerSecond());
        assertThat(inside.load().errors() + between.load().errors()).isZero();
    }

    /**
     * @param idleMax            the most sessions seen idle in transaction at once
     * @param idleThroughCallMax the most seen idle in transaction for over 100 ms, half a call: a
     *                           transaction held open across the call, not the instant between a
     *                           statement and its commit (which a loaded machine can stretch to
     *                           several milliseconds)
     */
    private record Measured(LoadResult load, int idleMax, int idleThroughCallMax) {
    }

    private static Measured measure(Function<DataSource, RemoteCallFlow> flow, Duration duration) throws Exception {
        PoolingMathFixture.workload();
        try (HikariDataSource pool = PoolingMathFixture.filledPool(POOL, config -> config.setConnectionTimeout(60_000));
             HikariDataSource observer = PoolingMathFixture.filledPool(1, config -> { })) {
            RemoteCallFlow requests = flow.apply(pool);
            List<int[]> idle = Collections.synchronizedList(new ArrayList<>());
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
            return new Measured(load, idle.stream().mapToInt(sample -> sample[0]).max().orElseThrow(),
                    idle.stream().mapToInt(sample -> sample[1]).max().orElseThrow());
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

    private static void sampleIdleInTransaction(DataSource observer, List<int[]> idle, AtomicBoolean running) {
        try (Connection connection = observer.getConnection(); PreparedStatement count = connection.prepareStatement(
                "SELECT count(*), count(*) FILTER (WHERE clock_timestamp() - state_change > interval '100 ms') FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND state = 'idle in transaction'")) {
            while (running.get()) {
                try (ResultSet rows = count.executeQuery()) {
                    rows.next();
                    idle.add(new int[] {rows.getInt(1), rows.getInt(2)});
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
