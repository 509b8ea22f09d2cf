package dev.backendlabs.shared.backend;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * Where the servers of a run come from. Chosen once per run with {@code -Dlabs.backend=} or the
 * environment variable {@code LABS_BACKEND}; {@link #AUTO} is the default.
 */
public enum BackendMode {
    /**
     * {@link #EMBEDDED}, the mode CI verifies on every commit; {@link #DOCKER} only on a platform
     * where the embedded servers cannot run (no bundled binaries for it) and a Docker engine answers.
     */
    AUTO,
    /** Testcontainers with pinned official images. */
    DOCKER,
    /** Real servers started from Maven artifacts: zonky PostgreSQL, a bundled redis-server, an in-JVM Kafka broker. */
    EMBEDDED,
    /** Servers you run yourself (e.g. {@code docker compose up}), found through {@code LABS_*} variables. */
    EXTERNAL;

    /** The lower-case name used on the command line, in banners and in reports. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a mode name as given on the command line.
     *
     * @throws IllegalArgumentException naming the valid modes when {@code text} is none of them
     */
    public static BackendMode parse(String text) {
        String normalized = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
        for (BackendMode mode : values()) {
            if (mode.name().equals(normalized)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("Unknown backend mode '" + text + "': use one of "
                + Arrays.stream(values()).map(BackendMode::label).collect(Collectors.joining(", ")));
    }

    /**
     * Resolves {@link #AUTO} to a concrete mode; the other modes resolve to themselves.
     *
     * @param embeddedUnsupported why the embedded servers cannot run on this platform, or empty if they can
     * @param dockerAvailable     whether a Docker engine answers; asked only when embedded cannot run
     */
    public BackendMode resolve(Optional<String> embeddedUnsupported, BooleanSupplier dockerAvailable) {
        if (this != AUTO || embeddedUnsupported.isEmpty()) {
            return this == AUTO ? EMBEDDED : this;
        }
        return dockerAvailable.getAsBoolean() ? DOCKER : EMBEDDED;
    }
}
