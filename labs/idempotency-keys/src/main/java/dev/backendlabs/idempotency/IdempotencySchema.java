package dev.backendlabs.idempotency;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;

/** Creates the lab's tables from {@code idempotency_schema.sql}, the one source of truth for them. */
public final class IdempotencySchema {

    private IdempotencySchema() {
    }

    public static void create(Connection connection) throws SQLException {
        String text = SqlStatements.resource("idempotency_schema.sql").replaceAll("(?m)^--.*$", "");
        try (Statement statement = connection.createStatement()) {
            for (String sql : Arrays.stream(text.split("\\n\\s*\\n")).map(String::strip).filter(s -> !s.isEmpty()).toList()) {
                statement.execute(sql);
            }
        }
    }

    /** Empties every table, for tests that need a clean slate. */
    public static void truncate(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE payments, payment_intents, staged_jobs, idempotency_keys RESTART IDENTITY");
        }
    }
}
