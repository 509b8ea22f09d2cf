package dev.backendlabs.pooling;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The formulas give the published examples, and bad input gets a typed error that names it and changes nothing. */
@Lab
class PoolMathInputTest {

    @Test
    void theFormulasGiveThePublishedExamples() {
        assertThat(PoolMath.startingPoolSize(4, 1)).as("the PostgreSQL wiki's 4-core server with one disk").isEqualTo(9);
        assertThat(PoolMath.deadlockFreeMinimum(3, 4)).as("HikariCP wiki: 3 threads holding 4 connections each").isEqualTo(10);
        assertThat(PoolMath.throughputCeiling(10, Duration.ofMillis(202))).as("pool 10, 202 ms hold").isCloseTo(10 / 0.202, within());
        assertThat(PoolMath.throughputCeiling(10, Duration.ofMillis(2))).as("pool 10, 2 ms hold").isCloseTo(5_000, within());
        assertThat(PoolMath.connectionsFor(2_000, Duration.ofMillis(100))).as("2,000 rps, 100 ms p99 hold").isEqualTo(200);
        assertThat(PoolMath.connectionsFor(200, Duration.ofMillis(20))).isEqualTo(4);
        assertThat(PoolMath.connectionsFor(200, Duration.ofMillis(21))).isEqualTo(5);
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-9);
    }

    @Test
    void badArgumentsAreRefusedByName() {
        assertThatThrownBy(() -> PoolMath.connectionsFor(0, Duration.ofMillis(5))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rate");
        assertThatThrownBy(() -> PoolMath.connectionsFor(Double.NaN, Duration.ofMillis(5))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rate");
        assertThatThrownBy(() -> PoolMath.connectionsFor(100, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hold time");
        assertThatThrownBy(() -> PoolMath.connectionsFor(1e12, Duration.ofHours(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no pool is that large");
        assertThatThrownBy(() -> PoolMath.throughputCeiling(0, Duration.ofMillis(5))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("connections");
        assertThatThrownBy(() -> PoolMath.deadlockFreeMinimum(4, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("connections per thread");
        assertThatThrownBy(() -> PoolMath.startingPoolSize(2, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("spindles");
    }

    @Test
    void aBadTenantIdIsRefusedBeforeAnythingRunsOrChanges() throws Exception {
        try (HikariDataSource pool = PoolingMathFixture.filledPool(1, config -> { });
             Connection connection = pool.getConnection()) {
            for (TenantScope scope : new TenantScope[] {new SessionScopedTenant(), new TransactionScopedTenant()}) {
                AtomicBoolean ran = new AtomicBoolean();
                assertThatThrownBy(() -> scope.inTenant(connection, "a'; DROP TABLE pgbench_accounts; --", c -> ran.getAndSet(true)))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Invalid tenant id");
                assertThatThrownBy(() -> scope.inTenant(connection, "", c -> ran.getAndSet(true)))
                        .isInstanceOf(IllegalArgumentException.class);
                assertThat(ran).as("the work did not run").isFalse();
                try (PreparedStatement read = connection.prepareStatement("SELECT current_setting('app.tenant_id', true)");
                     ResultSet rows = read.executeQuery()) {
                    rows.next();
                    assertThat(rows.getString(1)).as("the session's tenant is unchanged").isNullOrEmpty();
                }
            }
        }
    }
}
