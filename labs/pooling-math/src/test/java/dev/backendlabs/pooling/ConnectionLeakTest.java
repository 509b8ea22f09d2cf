package dev.backendlabs.pooling;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A leak and its fix. {@link ManualCloseLookup} leaks its connection when the account does not
 * exist; HikariCP's {@code leakDetectionThreshold} (2 s, its minimum) logs the leaking stack, and
 * two misses drain a pool of two, so the next caller times out with {@code active=2, idle=0}.
 * {@link TryWithResourcesLookup} makes the same calls and leaves the pool idle. A connection held
 * past the threshold and then returned is logged as {@code unleaked}: slow, not lost.
 */
@Lab
class ConnectionLeakTest {

    private static final int MISSING_ACCOUNT = -1;
    private static final Duration THRESHOLD = Duration.ofSeconds(2);

    @Test
    void leakDetectionNamesTheLeakingMethodAndTheDrainedPoolTimesOut(LabReport report) throws Exception {
        PoolingMathFixture.workload();
        try (PoolingMathFixture.CapturedStandardError log = PoolingMathFixture.CapturedStandardError.start();
             HikariDataSource pool = leakDetectingPool()) {
            BalanceLookup leaky = new ManualCloseLookup(pool);
            Thread caller = Thread.ofPlatform().name("leaky-caller").start(() -> {
                for (int i = 0; i < 2; i++) {
                    OptionalLong balance = call(leaky);
                    assertThat(balance).isEmpty();
                }
            });
            caller.join();

            assertThat(pool.getHikariPoolMXBean().getActiveConnections()).as("connections never returned").isEqualTo(2);
            assertThatThrownBy(() -> new TryWithResourcesLookup(pool).balance(1)).as("the next caller, even a correct one")
                    .isInstanceOf(SQLTransientConnectionException.class).hasMessageContaining("total=2, active=2, idle=0");
            await().atMost(THRESHOLD.plusSeconds(5)).untilAsserted(() -> assertThat(log.text())
                    .contains("Connection leak detection triggered").contains("on thread leaky-caller")
                    .contains("at " + ManualCloseLookup.class.getName() + ".balance"));
        }
    }

    @Test
    void tryWithResourcesReturnsEveryConnectionAndASlowHoldIsReportedAsUnleaked() throws Exception {
        PoolingMathFixture.workload();
        try (PoolingMathFixture.CapturedStandardError log = PoolingMathFixture.CapturedStandardError.start();
             HikariDataSource pool = leakDetectingPool()) {
            BalanceLookup tidy = new TryWithResourcesLookup(pool);
            Thread caller = Thread.ofPlatform().name("tidy-caller").start(() -> {
                for (int i = 0; i < 100; i++) {
                    assertThat(call(tidy)).isEmpty();
                }
            });
            Thread slow = Thread.ofPlatform().name("slow-caller").start(() -> {
                try (Connection held = pool.getConnection()) {
                    Thread.sleep(THRESHOLD.plusMillis(700));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            caller.join();
            slow.join();

            assertThat(pool.getHikariPoolMXBean().getActiveConnections()).as("every connection back in the pool").isZero();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(log.text())
                    .contains("on thread slow-caller").contains("was returned to the pool (unleaked)"));
            assertThat(log.text()).doesNotContain("on thread tidy-caller");
        }
    }

    private static HikariDataSource leakDetectingPool() {
        return PoolingMathFixture.filledPool(2, config -> {
            config.setLeakDetectionThreshold(THRESHOLD.toMillis());
            config.setConnectionTimeout(500);
        });
    }

    private static OptionalLong call(BalanceLookup lookup) {
        try {
            return lookup.balance(MISSING_ACCOUNT);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
