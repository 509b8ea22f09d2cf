package dev.backendlabs.caching;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;

/** Creates the catalog's tables and its product-page view from {@code catalog_schema.sql}, the one source of truth for them. */
public final class CatalogSchema {

    static final String RESOURCE = "catalog_schema.sql";

    private CatalogSchema() {
    }

    /** Creates what is missing; existing tables and their rows are kept, the view is replaced. */
    public static void create(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            for (String sql : statements()) {
                statement.execute(sql);
            }
        }
    }

    /** The script's statements: comment lines dropped, split after each {@code ;} that ends a line. */
    private static String[] statements() {
        try (InputStream in = CatalogSchema.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)^\\s*--.*$", "");
            return Arrays.stream(text.split(";\\s*(\\n|$)")).map(String::strip).filter(s -> !s.isEmpty()).toArray(String[]::new);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
