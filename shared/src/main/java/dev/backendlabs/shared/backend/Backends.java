package dev.backendlabs.shared.backend;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The servers of a run: {@code Backends.postgres()}, {@code Backends.redis()},
 * {@code Backends.kafka()}, and any {@link ServerKind} a lab registers.
 *
 * <p>Each server starts on first use, once per JVM, and is shared by every test class of the
 * run; a shutdown hook stops what was started. The mode comes from {@code -Dlabs.backend} or
 * {@code LABS_BACKEND} (default {@code auto}: embedded, or Docker on a platform without embedded
 * binaries). The first use of each server prints one {@code backend:} line with its version and
 * mode. A server that cannot start fails with a {@link BackendStartException} that says which mode
 * was tried and how to choose another; nothing is ever skipped.
 */
public final class Backends {

    public static final ServerKind<PostgresBackend> POSTGRES = ServerKind.of("postgres", PostgresBackend.class,
            DockerServers::postgres, EmbeddedServers::postgres, ExternalServers::postgres);
    public static final ServerKind<RedisBackend> REDIS = ServerKind.of("redis", RedisBackend.class,
            DockerServers::redis, EmbeddedServers::redis, ExternalServers::redis);
    public static final ServerKind<KafkaBackend> KAFKA = ServerKind.of("kafka", KafkaBackend.class,
            DockerServers::kafka, EmbeddedServers::kafka, ExternalServers::kafka);

    private static final Map<Class<?>, ServerKind<?>> KINDS = new ConcurrentHashMap<>();
    private static final ServerRegistry REGISTRY = new ServerRegistry(BackendSettings.fromEnvironment(),
            EmbeddedPlatform::unsupportedReason, DockerProbe::available, System.out::println);

    static {
        register(POSTGRES);
        register(REDIS);
        register(KAFKA);
        Runtime.getRuntime().addShutdownHook(new Thread(REGISTRY::shutdown, "backend-labs-shutdown"));
    }

    private Backends() {
    }

    public static PostgresBackend postgres() {
        return get(POSTGRES);
    }

    public static RedisBackend redis() {
        return get(REDIS);
    }

    public static KafkaBackend kafka() {
        return get(KAFKA);
    }

    /** The shared server of {@code kind}, started on first use. */
    public static <B extends Backend> B get(ServerKind<B> kind) {
        return REGISTRY.get(kind);
    }

    /** Makes {@code kind} known, so that tests can take its handle type as a parameter. */
    public static void register(ServerKind<?> kind) {
        ServerKind<?> previous = KINDS.putIfAbsent(kind.type(), kind);
        if (previous != null && previous != kind) {
            throw new IllegalStateException("Two server kinds for " + kind.type().getName() + ": " + previous + " and " + kind);
        }
    }

    /** The registered kind whose handle type is {@code type}. */
    public static Optional<ServerKind<?>> kindOf(Class<?> type) {
        return Optional.ofNullable(KINDS.get(type));
    }

    /**
     * A second Redis server for the caller alone, for what would disturb the shared one: a replica
     * ({@code REPLICAOF}), a {@code maxmemory} limit, an eviction policy. Close it when done.
     *
     * @throws UnsupportedOperationException in external mode, where this run cannot start servers
     */
    public static RunningServer<RedisBackend> newRedis() {
        if (mode() == BackendMode.EXTERNAL) {
            throw new UnsupportedOperationException("A dedicated Redis needs backend mode 'embedded' or 'docker': in 'external' mode"
                    + " this run cannot start servers. Use -Dlabs.backend=embedded.");
        }
        return REGISTRY.startDedicated(REDIS);
    }

    /** Starts PostgreSQL, Redis and Kafka at once (in parallel) and waits for them; a no-op for those already running. */
    public static void startAll() {
        CompletableFuture.allOf(
                CompletableFuture.runAsync(Backends::postgres),
                CompletableFuture.runAsync(Backends::redis),
                CompletableFuture.runAsync(Backends::kafka)).join();
    }

    /** The concrete mode of this run, resolving {@code auto} on first call. */
    public static BackendMode mode() {
        return REGISTRY.mode();
    }

    /** The shared servers started so far in this JVM, in start order. */
    public static List<StartedBackend> started() {
        return REGISTRY.started();
    }

    /**
     * Stops every server this JVM started, now rather than at exit. For programs that must end
     * cleanly — a JMH fork waits for the in-JVM Kafka broker's threads otherwise. Later calls to
     * {@link #postgres()} and the others start fresh servers.
     */
    public static void stopAll() {
        REGISTRY.stopAll();
    }
}
