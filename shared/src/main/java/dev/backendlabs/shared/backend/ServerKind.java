package dev.backendlabs.shared.backend;

import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One kind of server a lab can ask for — PostgreSQL, Redis, Kafka, or one a lab adds — and how to
 * start it in each concrete mode. {@link Backends} starts each kind once per JVM; a new kind needs
 * no edit anywhere else: register it with {@link Backends#register(ServerKind)} and tests can take
 * its handle as a parameter.
 *
 * @param <B> the handle type tests receive, e.g. {@link PostgresBackend}
 */
public interface ServerKind<B extends Backend> {

    /** Lower-case name used in banners and reports, e.g. {@code postgres}. */
    String name();

    /** The handle class; a test parameter of this type receives the running server. */
    Class<B> type();

    /**
     * Starts (or, in external mode, connects to) a server. Called at most once per JVM and kind by
     * {@link Backends}, or once per call for dedicated servers; may itself ask {@link Backends} for
     * the servers it depends on.
     *
     * @param mode a concrete mode, never {@link BackendMode#AUTO}
     */
    RunningServer<B> start(BackendMode mode, BackendSettings settings);

    /** A kind from one starter per mode. */
    static <B extends Backend> ServerKind<B> of(String name, Class<B> type, Supplier<RunningServer<B>> docker,
                                                Supplier<RunningServer<B>> embedded,
                                                Function<BackendSettings, RunningServer<B>> external) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        return new ServerKind<>() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Class<B> type() {
                return type;
            }

            @Override
            public RunningServer<B> start(BackendMode mode, BackendSettings settings) {
                return switch (mode) {
                    case DOCKER -> docker.get();
                    case EMBEDDED -> embedded.get();
                    case EXTERNAL -> external.apply(settings);
                    case AUTO -> throw new IllegalArgumentException("resolve the mode before starting " + name);
                };
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
