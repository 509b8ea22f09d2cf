package dev.backendlabs.idempotency;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lab's SQL, read from {@code idempotency_statements.sql}: each statement is the region of that
 * file with its name. The same markers delimit the README's excerpts, so the SQL a reader sees is
 * the SQL that runs.
 */
final class SqlStatements {

    private static final Pattern REGION = Pattern.compile("(?ms)^-- region ([a-z-]+)\\n(.*?)^-- endregion");
    private static final Map<String, String> STATEMENTS = load();

    private SqlStatements() {
    }

    /** The statement of region {@code name}, comment lines removed. */
    static String get(String name) {
        String sql = STATEMENTS.get(name);
        if (sql == null) {
            throw new IllegalArgumentException("idempotency_statements.sql has no region " + name + "; it has " + STATEMENTS.keySet());
        }
        return sql;
    }

    static String resource(String name) {
        try (InputStream in = SqlStatements.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, String> load() {
        Map<String, String> statements = new LinkedHashMap<>();
        Matcher region = REGION.matcher(resource("idempotency_statements.sql"));
        while (region.find()) {
            statements.put(region.group(1), region.group(2).replaceAll("(?m)^--.*\\n", "").strip());
        }
        return Map.copyOf(statements);
    }
}
