package dev.backendlabs.outbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Creates the lab's tables from {@code outbox_schema.sql}, the one source of truth for them. */
public final class OutboxSchema {

    private OutboxSchema() {
    }

    public static void create(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            for (String sql : statements()) {
                statement.execute(sql);
            }
        }
    }

    /** Empties every table, for tests that need a clean slate. */
    public static void truncate(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE orders, outbox, inbox, effects, dead_letters RESTART IDENTITY");
        }
    }

    private static String[] statements() {
        try (InputStream in = OutboxSchema.class.getClassLoader().getResourceAsStream("outbox_schema.sql")) {
            if (in == null) {
                throw new IllegalStateException("outbox_schema.sql is not on the class path");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)^--.*$", "");
            return java.util.Arrays.stream(text.split("\\n\\s*\\n")).map(String::strip).filter(s -> !s.isEmpty()).toArray(String[]::new);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
