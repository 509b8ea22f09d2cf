package dev.backendlabs.pooling;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LatencyRecorder;
import dev.backendlabs.shared.load.LatencySummary;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Little's law as a sizing tool: measure how long a request holds a connection, multiply by the
 * target rate, and that many connections carry the rate — one fewer than λ·W cannot. The request
 * holds its connection 20 ms in the database ({@code pg_sleep}: a wait, not CPU, so that the pool
 * and not the two cores is what limits it).
 */
@Lab
class LittlesLawPoolPredictionTest {

    private static final double TARGET_PER_SECOND = 200;
    private static final String WORK = "SELECT pg_sleep(0.02)";

    @Test
    void thePoolLittlesLawPredictsCarriesTheTargetRateAndOneLessThanLambdaWDoesNot(Scale scale, LabReport report) throws Exception {
        LatencySummary hold = measureHold();
        int predicted = PoolMath.connectionsFor(TARGET_PER_SECOND, Duration.ofNanos(Math.round(hold.p99Ms() * 1e6)));
        int undersized = (int) Math.floor(TARGET_PER_SECOND * hold.meanMs() / 1_000) - 1;
        Duration duration = scale.pick(Duration.ofSeconds(2), Duration.ofSeconds(20));

        OpenLoopResult enough = offer(predicted, duration);
        OpenLoopResult tooFew = offer(undersized, duration);

        report.table(ReportTable.of("Little's law prediction: " + (int) TARGET_PER_SECOND + " requests/s, each holding a connection for "
                        + String.format("%.1f ms (p99 %.1f ms)", hold.meanMs(), hold.p99Ms()), "pool", "role", "achieved /s", "p99 (ms)")
                .row(predicted, "⌈λ · p99 hold⌉", enough.achievedPerSecond(), enough.latency().p99Ms())
                .row(undersized, "⌊λ · mean hold⌋ − 1", tooFew.achievedPerSecond(), tooFew.latency().p99Ms()));
        assertThat(enough.errors() + tooFew.errors()).as("failed requests: a pool that failed them would not be slow, just wrong").isZero();
        assertThat(enough.achievedPerSecond()).as("the predicted pool of %d keeps up", predicted).isGreaterThan(0.95 * TARGET_PER_SECOND);
        assertThat(enough.latency().p99Ms()).as("and its requests barely queue").isLessThan(10 * hold.p99Ms());
        assertThat(tooFew.achievedPerSecond()).as("a pool of %d cannot", undersized).isLessThan(0.95 * TARGET_PER_SECOND);
        assertThat(tooFew.latency().p99Ms()).as("its queue grows").isGreaterThan(10 * hold.p99Ms());
    }

    /** The hold time of one request, measured on an idle pool, 100 times. */
    private static LatencySummary measureHold() throws Exception {
        LatencyRecorder hold = new LatencyRecorder();
        try (HikariDataSource pool = PoolingMathFixture.filledPool(1, config -> { })) {
            for (int i = 0; i < 100; i++) {
                long begin = System.nanoTime();
                try (Connection connection = pool.getConnection(); PreparedStatement sleep = connection.prepareStatement(WORK)) {
                    sleep.execute();
                }
                hold.recordSince(begin);
            }
        }
        return hold.summary();
    }

    private static OpenLoopResult offer(int poolSize, Duration duration) throws InterruptedException {
        try (HikariDataSource pool = PoolingMathFixture.filledPool(poolSize, config -> config.setConnectionTimeout(60_000))) {
            return LoadRunner.atRate(TARGET_PER_SECOND).duration(duration).run(sequence -> {
                try (Connection connection = pool.getConnection(); PreparedStatement sleep = connection.prepareStatement(WORK)) {
                    sleep.execute();
                }
            });
        }
    }
}
