package dev.backendlabs.mvcc;

import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.sql.Sql;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bad input gets a typed error ({@link IllegalArgumentException}) with a message that says what is
 * wrong, before anything reaches the server.
 */
@Lab
class RefusedInputTest {

    @Test
    void timeoutsThatPostgresCannotHoldAreRefused() {
        assertThatThrownBy(() -> TransactionTimeouts.idleInTransaction(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> TransactionTimeouts.idleInTransaction(Duration.ofNanos(1_500_000)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole milliseconds");
        assertThatThrownBy(() -> TransactionTimeouts.transaction(Duration.ofMillis(Integer.MAX_VALUE + 1L)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
        assertThatThrownBy(() -> new TransactionTimeouts(Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("guards nothing");
        assertThatThrownBy(() -> new TransactionTimeouts(null, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
    }

    @Test
    void aZeroTimeoutIsLeftOutAndTheOtherIsSentInMilliseconds() {
        assertThat(TransactionTimeouts.idleInTransaction(Duration.ofSeconds(30)).connectionOptions())
                .isEqualTo("-c idle_in_transaction_session_timeout=30000");
        assertThat(new TransactionTimeouts(Duration.ofSeconds(30), Duration.ofMinutes(10)).connectionOptions())
                .isEqualTo("-c idle_in_transaction_session_timeout=30000 -c transaction_timeout=600000");
    }

    @Test
    void roleNamesAreQuotedAsIdentifiersOrRefused() {
        TransactionTimeouts timeouts = TransactionTimeouts.transaction(Duration.ofMinutes(10));

        assertThat(timeouts.alterRoleStatements("app\"; DROP ROLE postgres; --"))
                .containsExactly("ALTER ROLE \"app\"\"; DROP ROLE postgres; --\" SET transaction_timeout = '600000ms'");
        assertThatThrownBy(() -> timeouts.alterRoleStatements(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> timeouts.alterRoleStatements("x".repeat(64))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tableNamesThatAreNotPlainTablesAreRefusedBeforeAnyVacuum() throws Exception {
        MvccBloatFixture.init();
        try (Connection connection = MvccBloatFixture.pool().getConnection()) {
            assertThatThrownBy(() -> VacuumVerbose.vacuum(connection, MvccBloatFixture.NOTES + "; DROP TABLE " + MvccBloatFixture.NOTES))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a table name");
            assertThatThrownBy(() -> TableHealth.read(connection, "no_such_table"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("No table 'no_such_table'");
            assertThatThrownBy(() -> TableHealth.read(connection, MvccBloatFixture.NOTES + "_pkey"))
                    .as("an index is not a table").isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(Sql.queryLong(MvccBloatFixture.pool(), "SELECT count(*) FROM pg_class WHERE relname = ?", MvccBloatFixture.NOTES))
                .as("the table named in the refused statement").isEqualTo(1);
    }
}
