package dev.backendlabs.selftest;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.BackendMode;
import dev.backendlabs.shared.backend.BackendSettings;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.PgBouncerBackend;
import dev.backendlabs.shared.backend.PgBouncerBinary;
import dev.backendlabs.shared.backend.RunningServer;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The fourth kind of server, added through the registry: PgBouncer in transaction mode in front
 * of the run's PostgreSQL. These tests start a dedicated PgBouncer, so that the shared servers of
 * the selftest JVM stay the three that {@code StartupTest} expects. Outside CI, on a machine
 * without the binary, they are reported as not run with the install command; under
 * {@code CI=true} they fail instead.
 */
@Lab("selftest")
class PgBouncerBackendTest {

    private static RunningServer<PgBouncerBackend> server;

    @AfterAll
    static void stopPgBouncer() {
        if (server != null) {
            server.close();
        }
    }

    private static final int CLIENTS = 40;

    @Test
    void isARegisteredKindInTransactionModeWithRoomForAThousandClients() throws SQLException {
        PgBouncerBackend pgbouncer = pgbouncer();

        assertThat(Backends.kindOf(PgBouncerBackend.class)).as("registered").contains(PgBouncerBackend.KIND);
        assertThat(Backends.started()).extracting(started -> started.backend().name()).as("a dedicated server is not shared")
                .doesNotContain("pgbouncer");
        assertThat(pgbouncer.version()).matches("\\d+\\.\\d+(\\.\\d+)?");
        Map<String, String> config = new HashMap<>();
        pgbouncer.admin("SHOW CONFIG").forEach(row -> config.put(row.get("key"), row.get("value")));
        assertThat(config.get("pool_mode")).isEqualTo("transaction");
        assertThat(Integer.parseInt(config.get("max_client_conn"))).isGreaterThan(1_000);
        assertThat(Integer.parseInt(config.get("default_pool_size"))).isEqualTo(pgbouncer.serverPoolSize());
    }

    @Test
    void manyClientsShareAtMostThePoolSizeOfServerConnections(LabNamespace namespace) throws Exception {
        PgBouncerBackend pgbouncer = pgbouncer();
        Backends.postgres().createDatabaseIfMissing(namespace.database());
        CountDownLatch allConnected = new CountDownLatch(CLIENTS);
        List<Future<Integer>> backends = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < CLIENTS; i++) {
                backends.add(clients.submit(() -> {
                    try (Connection connection = pgbouncer.connect(namespace.database());
                         Statement statement = connection.createStatement()) {
                        allConnected.countDown();
                        allConnected.await();
                        try (ResultSet rows = statement.executeQuery("SELECT pg_backend_pid() FROM pg_sleep(0.05)")) {
                            rows.next();
                            return rows.getInt(1);
                        }
                    }
                }));
            }
        }
        List<Integer> pids = new ArrayList<>();
        for (Future<Integer> backend : backends) {
            pids.add(backend.get());
        }
        assertThat(pids).as("every one of the %d clients got an answer", CLIENTS).hasSize(CLIENTS);
        assertThat(pids.stream().distinct().count()).as("server processes that served them")
                .isBetween(1L, (long) pgbouncer.serverPoolSize());
    }

    @Test
    void hikariThroughPgBouncerReachesTheLabsOwnDatabase(LabNamespace namespace) throws SQLException {
        PgBouncerBackend pgbouncer = pgbouncer();
        try (HikariDataSource pool = pgbouncer.dataSource(namespace, config -> config.setMaximumPoolSize(2));
             Connection connection = pool.getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT current_database()")) {
            rows.next();
            assertThat(rows.getString(1)).isEqualTo(namespace.database());
        }
    }

    @Test
    void stopBreaksClientsAndStartComesBackOnTheSamePort() throws SQLException {
        PgBouncerBackend pgbouncer = pgbouncer();
        int port = pgbouncer.port();
        Connection before = pgbouncer.connect("postgres");
        pgbouncer.stop();
        try {
            assertThat(pgbouncer.running()).isFalse();
            assertThatThrownBy(() -> before.createStatement().execute("SELECT 1")).as("a client of the stopped PgBouncer")
                    .isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> pgbouncer.connect("postgres")).as("a new client while stopped").isInstanceOf(SQLException.class);
        } finally {
            before.close();
            pgbouncer.start();
        }
        assertThat(pgbouncer.running()).isTrue();
        assertThat(pgbouncer.port()).isEqualTo(port);
        try (Connection after = pgbouncer.connect("postgres"); Statement statement = after.createStatement();
             ResultSet rows = statement.executeQuery("SELECT 6 * 7")) {
            rows.next();
            assertThat(rows.getInt(1)).isEqualTo(42);
        }
    }

    @Test
    void aMissingBinaryIsExplainedWithTheInstallCommand() {
        withBinary("/nonexistent/pgbouncer", () -> {
            assertThat(PgBouncerBinary.find()).isEmpty();
            assertThat(PgBouncerBinary.missingReason()).contains("/nonexistent/pgbouncer")
                    .contains("apt-get install -y pgbouncer").contains("brew install pgbouncer");
        });
    }

    /**
     * The one skip of the project, and only outside CI: with {@code CI=true} (any case) a test that
     * needs PgBouncer is not skipped, and the embedded start it then makes fails with the reason.
     */
    @Test
    void aMissingBinaryIsNotRunOnlyOutsideCiAndFailsTheEmbeddedStartUnderCi() {
        withBinary("/nonexistent/pgbouncer", () -> {
            assertThat(PgBouncerBinary.notRunReason(null, BackendMode.EMBEDDED)).as("CI unset").hasValue(PgBouncerBinary.missingReason());
            assertThat(PgBouncerBinary.notRunReason("false", BackendMode.EMBEDDED)).as("CI=false").isPresent();
            assertThat(PgBouncerBinary.notRunReason("true", BackendMode.EMBEDDED)).as("CI=true").isEmpty();
            assertThat(PgBouncerBinary.notRunReason("TRUE", BackendMode.EMBEDDED)).as("CI=TRUE").isEmpty();
            assertThat(PgBouncerBinary.notRunReason(null, BackendMode.DOCKER)).as("docker mode needs no binary").isEmpty();
            assertThat(PgBouncerBinary.notRunReason(null, BackendMode.EXTERNAL)).as("external mode needs no binary").isEmpty();
            assertThatThrownBy(() -> PgBouncerBackend.KIND.start(BackendMode.EMBEDDED, BackendSettings.fromEnvironment()))
                    .as("the embedded start a CI run then makes").hasMessageContaining("PgBouncer is not installed")
                    .hasMessageContaining("apt-get install -y pgbouncer");
        });
    }

    /** Runs {@code check} with {@code -Dlabs.pgbouncer.binary} set to {@code binary}, then puts the property back. */
    private static void withBinary(String binary, Runnable check) {
        String previous = System.getProperty(PgBouncerBinary.PROPERTY);
        System.setProperty(PgBouncerBinary.PROPERTY, binary);
        try {
            check.run();
        } finally {
            if (previous == null) {
                System.clearProperty(PgBouncerBinary.PROPERTY);
            } else {
                System.setProperty(PgBouncerBinary.PROPERTY, previous);
            }
        }
    }

    /** This class's PgBouncer, started on first use; outside CI, without the binary, the test is reported as not run. */
    private static synchronized PgBouncerBackend pgbouncer() {
        PgBouncerBinary.assumeInstalledUnlessCi();
        if (server == null) {
            server = PgBouncerBackend.dedicated();
        }
        return server.backend();
    }
}
