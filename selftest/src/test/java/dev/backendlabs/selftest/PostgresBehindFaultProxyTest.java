package dev.backendlabs.selftest;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.net.Direction;
import dev.backendlabs.shared.net.FaultProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Each fault of a {@link FaultProxy} between JDBC (through HikariCP) and the real PostgreSQL, and the client error it produces. */
@Lab("selftest")
class PostgresBehindFaultProxyTest {

    /** The driver's socketTimeout, in seconds (its unit, and its smallest value): a loopback query takes a few ms. */
    private static final int SOCKET_TIMEOUT_S = 1;
    private static final int LARGE = 100_000;
    private static final String LARGE_QUERY = "SELECT repeat('x', " + LARGE + ")";

    private FaultProxy proxy;
    private String url;
    private Properties driverProperties;
    private HikariDataSource pool;

    @BeforeEach
    void start(PostgresBackend postgres, LabNamespace namespace) {
        postgres.createDatabaseIfMissing(namespace.database());
        proxy = FaultProxy.start("postgres", postgres.host(), postgres.port());
        url = "jdbc:postgresql://" + proxy.host() + ":" + proxy.port() + "/" + namespace.database();
        driverProperties = new Properties();
        driverProperties.setProperty("user", postgres.user());
        driverProperties.setProperty("password", postgres.password());
        driverProperties.setProperty("connectTimeout", "2");
        driverProperties.setProperty("socketTimeout", String.valueOf(SOCKET_TIMEOUT_S));
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setDataSourceProperties(driverProperties);
        // One connection, so that the bytes the proxy counts are this test's alone.
        config.setMaximumPoolSize(1);
        config.setConnectionTimeout(5_000);
        pool = new HikariDataSource(config);
    }

    @AfterEach
    void stop() {
        pool.close();
        proxy.close();
    }

    @Test
    void blackholeTimesOutAQueryAfterTheSocketTimeoutAndThePoolRecoversAfterResume() throws SQLException {
        try (Connection connection = pool.getConnection()) {
            assertThat(queryInt(connection, "SELECT 1")).isEqualTo(1);

            proxy.blackhole();
            long start = System.nanoTime();
            assertThatThrownBy(() -> queryInt(connection, "SELECT 1")).isInstanceOf(SQLException.class)
                    .satisfies(error -> assertThat(((SQLException) error).getSQLState()).startsWith("08"))
                    .cause().isInstanceOf(SocketTimeoutException.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("failed only at the socket timeout")
                    .isGreaterThanOrEqualTo(TimeUnit.SECONDS.toMillis(SOCKET_TIMEOUT_S));
            proxy.resume();
        }

        try (Connection connection = pool.getConnection()) {
            assertThat(queryInt(connection, "SELECT 2")).as("the same pool, after the partition heals").isEqualTo(2);
        }
    }

    @Test
    void resetFailsARunningQueryAndNewConnectionsWithConnectionReset() throws Exception {
        try (Connection connection = pool.getConnection()) {
            long before = proxy.bytes(Direction.UPSTREAM);
            CompletableFuture<Integer> sleeping = CompletableFuture.supplyAsync(() -> {
                try {
                    return queryInt(connection, "SELECT 1 FROM pg_sleep(5)");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.bytes(Direction.UPSTREAM) > before);

            proxy.reset();

            assertThatThrownBy(() -> sleeping.get(2, TimeUnit.SECONDS)).as("well before pg_sleep's 5 s")
                    .isInstanceOf(ExecutionException.class)
                    .rootCause().isInstanceOf(SocketException.class).hasMessageContaining("Connection reset");
        }
        assertThatThrownBy(() -> DriverManager.getConnection(url, driverProperties).close()).as("a new connection")
                .isInstanceOf(SQLException.class)
                .satisfies(error -> assertThat(((SQLException) error).getSQLState()).startsWith("08"))
                .rootCause().isInstanceOf(SocketException.class).hasMessageContaining("Connection reset");
        proxy.resume();

        try (Connection connection = pool.getConnection()) {
            assertThat(queryInt(connection, "SELECT 2")).as("the same pool, after resume").isEqualTo(2);
        }
    }

    @Test
    void refuseFailsNewConnectionsWithConnectionRefusedWhileOpenOnesCarryOn() throws SQLException {
        try (Connection open = pool.getConnection()) {
            proxy.refuse();

            assertThatThrownBy(() -> DriverManager.getConnection(url, driverProperties).close()).isInstanceOf(SQLException.class)
                    .satisfies(error -> assertThat(((SQLException) error).getSQLState()).isEqualTo("08001"))
                    .rootCause().isInstanceOf(ConnectException.class).hasMessageContaining("Connection refused");
            assertThat(queryInt(open, "SELECT 1")).as("the open connection").isEqualTo(1);
        }
        proxy.resume();

        try (Connection fresh = DriverManager.getConnection(url, driverProperties)) {
            assertThat(queryInt(fresh, "SELECT 2")).as("a new connection, on the same port").isEqualTo(2);
        }
    }

    @Test
    void latencyAddsToEveryRoundTrip() throws SQLException {
        try (Connection connection = pool.getConnection()) {
            proxy.latency(Direction.UPSTREAM, Duration.ofMillis(50), Duration.ofMillis(10));
            proxy.latency(Direction.DOWNSTREAM, Duration.ofMillis(50), Duration.ofMillis(10));

            long fastestMs = Long.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                queryInt(connection, "SELECT 1");
                fastestMs = Math.min(fastestMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }

            // (50 - 10) ms each way; the fastest of 5 queries measured 99-103 ms on 2 cores at load 10-14.
            assertThat(fastestMs).isGreaterThanOrEqualTo(80);
        }
    }

    @Test
    void timeoutAfterHangsAResultHalfwayAndPassesExactlyTheBudget() throws SQLException {
        try (Connection connection = pool.getConnection()) {
            long before = proxy.bytes(Direction.DOWNSTREAM);

            proxy.timeoutAfter(Direction.DOWNSTREAM, 1_024);

            assertThatThrownBy(() -> queryText(connection, LARGE_QUERY)).isInstanceOf(SQLException.class)
                    .satisfies(error -> assertThat(((SQLException) error).getSQLState()).startsWith("08"))
                    .cause().isInstanceOf(SocketTimeoutException.class);
            assertThat(proxy.bytes(Direction.DOWNSTREAM) - before).isEqualTo(1_024);
            proxy.resume();
        }

        try (Connection connection = pool.getConnection()) {
            assertThat(queryText(connection, LARGE_QUERY)).as("the same pool, after resume").hasSize(LARGE);
        }
    }

    @Test
    void bandwidthStretchesALargeResultToAtLeastSizeOverRate() throws SQLException {
        try (Connection connection = pool.getConnection()) {
            proxy.bandwidth(Direction.DOWNSTREAM, 250_000);

            long start = System.nanoTime();
            String result = queryText(connection, LARGE_QUERY);
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(result).hasSize(LARGE);
            // 100 000 bytes at 250 000 B/s: 400 ms of wire time; 406-593 ms measured on 2 cores at load 10-14.
            assertThat(elapsedMs).isGreaterThanOrEqualTo(400);
        }
    }

    private static int queryInt(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getInt(1);
        }
    }

    private static String queryText(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
