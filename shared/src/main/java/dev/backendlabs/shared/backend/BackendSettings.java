package dev.backendlabs.shared.backend;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The knobs that choose and locate backends, read from system properties first and then from
 * environment variables. A variable {@code LABS_PG_URL} can also be given as the system property
 * {@code labs.pg.url}.
 *
 * <p>The {@code external} defaults match {@code docker-compose.yml} at the root of the project;
 * a test in this module fails if the two drift apart.
 */
public final class BackendSettings {

    public static final String MODE = "LABS_BACKEND";
    public static final String PG_URL = "LABS_PG_URL";
    public static final String PG_USER = "LABS_PG_USER";
    public static final String PG_PASSWORD = "LABS_PG_PASSWORD";
    public static final String REDIS_URL = "LABS_REDIS_URL";
    public static final String KAFKA_BOOTSTRAP = "LABS_KAFKA_BOOTSTRAP";

    public static final String DEFAULT_PG_URL = "jdbc:postgresql://127.0.0.1:5432/labs";
    public static final String DEFAULT_PG_USER = "labs";
    public static final String DEFAULT_PG_PASSWORD = "labs";
    public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
    public static final String DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:9092";

    private static final Map<String, String> DEFAULTS = Map.of(
            MODE, BackendMode.AUTO.label(),
            PG_URL, DEFAULT_PG_URL,
            PG_USER, DEFAULT_PG_USER,
            PG_PASSWORD, DEFAULT_PG_PASSWORD,
            REDIS_URL, DEFAULT_REDIS_URL,
            KAFKA_BOOTSTRAP, DEFAULT_KAFKA_BOOTSTRAP);

    private final Function<String, String> lookup;

    private BackendSettings(Function<String, String> lookup) {
        this.lookup = lookup;
    }

    /** Settings of this JVM: system properties, then environment variables, then defaults. */
    public static BackendSettings fromEnvironment() {
        return layered(System::getProperty, System::getenv);
    }

    /**
     * A non-blank system property wins, then a non-blank environment variable, then the default.
     * A blank property counts as absent: Maven passes {@code -Dlabs.backend=} through to every test
     * JVM even when nobody set it, and that must not hide {@code LABS_BACKEND}.
     */
    static BackendSettings layered(Function<String, String> properties, Function<String, String> environment) {
        return new BackendSettings(variable -> Optional.ofNullable(properties.apply(propertyName(variable)))
                .filter(value -> !value.isBlank())
                .or(() -> Optional.ofNullable(environment.apply(variable)).filter(value -> !value.isBlank()))
                .orElse(null));
    }

    /** Settings from an explicit map (tests), falling back to the defaults. */
    public static BackendSettings of(Map<String, String> values) {
        Map<String, String> copy = new HashMap<>(values);
        return new BackendSettings(copy::get);
    }

    /** {@code LABS_PG_URL} becomes {@code labs.pg.url}. */
    static String propertyName(String variable) {
        return variable.toLowerCase(java.util.Locale.ROOT).replace('_', '.');
    }

    public String get(String variable) {
        String value = lookup.apply(variable);
        return value != null ? value : DEFAULTS.get(variable);
    }

    public BackendMode mode() {
        return BackendMode.parse(get(MODE));
    }
}
