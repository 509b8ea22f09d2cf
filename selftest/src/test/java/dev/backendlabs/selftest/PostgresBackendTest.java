package dev.backendlabs.selftest;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Lab("selftest")
class PostgresBackendTest {

    @Test
    void serverIsPostgres17AndAnswersQueries(PostgresBackend postgres, LabNamespace namespace) throws SQLException {
        try (HikariDataSource pool = postgres.dataSource(namespace);
             Connection connection = pool.getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT current_setting('server_version_num')::int, current_database(), 6 * 7")) {
            rows.next();
            assertThat(rows.getInt(1)).isBetween(170000, 179999);
            assertThat(rows.getString(2)).isEqualTo("selftest");
            assertThat(rows.getInt(3)).isEqualTo(42);
        }
        assertThat(postgres.version()).startsWith("17.");
    }

    /** What every mode promises (docs/DESIGN.md, "Durability"): commits pay their fsync, and logical decoding is available. */
    @Test
    void serverRunsWithFsyncAndLogicalWal(PostgresBackend postgres, LabNamespace namespace) throws SQLException {
        try (HikariDataSource pool = postgres.dataSource(namespace);
             Connection connection = pool.getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT current_setting('fsync'), current_setting('wal_level'),"
                     + " current_setting('max_prepared_transactions')::int")) {
            rows.next();
            assertThat(rows.getString(1)).isEqualTo("on");
            assertThat(rows.getString(2)).isEqualTo("logical");
            assertThat(rows.getInt(3)).isPositive();
        }
    }

    @Test
    void eachLabGetsItsOwnDatabase(PostgresBackend postgres) throws SQLException {
        LabNamespace first = new LabNamespace("selftest-first");
        LabNamespace second = new LabNamespace("selftest-second");
        try (HikariDataSource a = postgres.dataSource(first); HikariDataSource b = postgres.dataSource(second);
             Connection ca = a.getConnection(); Connection cb = b.getConnection();
             Statement sa = ca.createStatement(); Statement sb = cb.createStatement()) {
            sa.execute("DROP TABLE IF EXISTS marker");
            sa.execute("CREATE TABLE marker (id int)");
            sb.execute("DROP TABLE IF EXISTS marker");
            try (ResultSet rows = sb.executeQuery("SELECT count(*) FROM pg_tables WHERE tablename = 'marker'")) {
                rows.next();
                assertThat(rows.getInt(1)).isZero();
            }
        }
        postgres.createDatabaseIfMissing(first.database());
    }

    @Test
    void stopTerminatesOpenTransactionsAndStartComesBackOnTheSamePortWithTheData(PostgresBackend postgres, LabNamespace namespace)
            throws SQLException {
        int port = postgres.port();
        try (HikariDataSource pool = postgres.dataSource(namespace, config -> {
            config.setMaximumPoolSize(2);
            config.setConnectionTimeout(1_000);
        })) {
            try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
                statement.execute("DROP TABLE IF EXISTS survives_restart");
                statement.execute("CREATE TABLE survives_restart (id int)");
                statement.execute("INSERT INTO survives_restart VALUES (1)");
            }
            Connection open = pool.getConnection();
            open.setAutoCommit(false);
            try (Statement statement = open.createStatement()) {
                statement.execute("INSERT INTO survives_restart VALUES (2)");
            }

            postgres.stop();
            try {
                assertThat(postgres.running()).isFalse();
                assertThatThrownBy(open::commit).as("the transaction open during the stop").isInstanceOf(SQLException.class);
                assertThatThrownBy(pool::getConnection).as("a new connection while stopped").isInstanceOf(SQLException.class);
            } finally {
                open.close();
                postgres.start();
            }

            assertThat(postgres.running()).isTrue();
            assertThat(postgres.port()).isEqualTo(port);
            // A new connection works as soon as start() returns; the pool may still sit in its creation back-off.
            try (Connection connection = postgres.connect(namespace.database()); Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT array_agg(id ORDER BY id)::text FROM survives_restart")) {
                rows.next();
                assertThat(rows.getString(1)).as("committed row kept, the terminated transaction's row rolled back").isEqualTo("{1}");
            }
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
                try (Connection recovered = pool.getConnection()) {
                    assertThat(recovered.isValid(1)).as("the pool recovers by itself").isTrue();
                }
            });
        }
    }

    @Test
    void rejectsDatabaseNamesThatCouldInjectSql(PostgresBackend postgres) {
        assertThatThrownBy(() -> postgres.createDatabaseIfMissing("x; DROP DATABASE postgres"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Invalid database name");
    }
}
