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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void rejectsDatabaseNamesThatCouldInjectSql(PostgresBackend postgres) {
        assertThatThrownBy(() -> postgres.createDatabaseIfMissing("x; DROP DATABASE postgres"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Invalid database name");
    }
}
