package dev.backendlabs.shared.backend;

/** What every server handle tells about itself, for banners and reports. */
public interface Backend {

    /** {@code postgres}, {@code redis} or {@code kafka}. */
    String name();

    /** The server's own version, e.g. {@code 17.6}, read from the running server. */
    String version();

    /** The mode this server runs in (never {@link BackendMode#AUTO}). */
    BackendMode mode();

    /** Where clients connect, e.g. {@code 127.0.0.1:54321}. */
    String address();

    /** One line for the banner: {@code postgres 17.6 (embedded, 127.0.0.1:54321)}. */
    default String describe() {
        return name() + " " + version() + " (" + mode().label() + ", " + address() + ")";
    }
}
