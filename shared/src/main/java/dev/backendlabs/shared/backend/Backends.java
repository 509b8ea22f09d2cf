package dev.backendlabs.shared.backend;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The servers of a run: {@code Backends.postgres()}, {@code Backends.redis()},
 * {@code Backends.kafka()}.
 *
 * <p>Each server starts on first use, once per JVM, and is shared by every test class of the
 * run; a shutdown hook stops what was started. The mode comes from {@code -Dlabs.backend} or
 * {@code LABS_BACKEND} (default {@code auto}: Docker when an engine answers, else embedded).
 * The first use of each server prints one {@code backend:} line with its version and mode.
 * A server that cannot start fails with a {@link BackendStartException} that says which mode
 * was tried and how to choose another; nothing is ever skipped.
 */
public final class Backends {

    private static final BackendSettings SETTINGS = BackendSettings.fromEnvironment();
    private static final Deque<AutoCloseable> STOPPERS = new ArrayDeque<>();
    private static final List<StartedBackend> STARTED = new ArrayList<>();
    private static BackendMode mode;
    private static String modeReason;
    private static boolean hookInstalled;

    private static final LazyServer<PostgresBackend> POSTGRES = new LazyServer<>("postgres", m -> switch (m) {
        case DOCKER -> DockerServers.postgres();
        case EMBEDDED -> EmbeddedServers.postgres();
        case EXTERNAL -> ExternalServers.postgres(SETTINGS);
        case AUTO -> throw new IllegalStateException("unresolved mode");
    });
    private static final LazyServer<RedisBackend> REDIS = new LazyServer<>("redis", m -> switch (m) {
        case DOCKER -> DockerServers.redis();
        case EMBEDDED -> EmbeddedServers.redis();
        case EXTERNAL -> ExternalServers.redis(SETTINGS);
        case AUTO -> throw new IllegalStateException("unresolved mode");
    });
    private static final LazyServer<KafkaBackend> KAFKA = new LazyServer<>("kafka", m -> switch (m) {
        case DOCKER -> DockerServers.kafka();
        case EMBEDDED -> EmbeddedServers.kafka();
        case EXTERNAL -> ExternalServers.kafka(SETTINGS);
        case AUTO -> throw new IllegalStateException("unresolved mode");
    });

    private Backends() {
    }

    public static PostgresBackend postgres() {
        return POSTGRES.get();
    }

    public static RedisBackend redis() {
        return REDIS.get();
    }

    public static KafkaBackend kafka() {
        return KAFKA.get();
    }

    /** Starts all three servers at once (in parallel) and waits for them; a no-op for those already running. */
    public static void startAll() {
        CompletableFuture.allOf(
                CompletableFuture.runAsync(Backends::postgres),
                CompletableFuture.runAsync(Backends::redis),
                CompletableFuture.runAsync(Backends::kafka)).join();
    }

    /** The concrete mode of this run, resolving {@code auto} on first call. */
    public static synchronized BackendMode mode() {
        if (mode == null) {
            BackendMode requested = SETTINGS.mode();
            mode = requested.resolve(DockerProbe::available);
            modeReason = requested == BackendMode.AUTO
                    ? "auto: " + (mode == BackendMode.DOCKER ? "a Docker engine answered" : "no Docker engine answered")
                    : "requested";
        }
        return mode;
    }

    /** The servers started so far in this JVM, in start order. */
    public static synchronized List<StartedBackend> started() {
        return List.copyOf(STARTED);
    }

    private static synchronized String modeReason() {
        mode();
        return modeReason;
    }

    private static synchronized void register(StartedBackend started, AutoCloseable stopper) {
        STARTED.add(started);
        STOPPERS.push(stopper);
        if (!hookInstalled) {
            Runtime.getRuntime().addShutdownHook(new Thread(Backends::stopAll, "backend-labs-shutdown"));
            hookInstalled = true;
        }
    }

    /**
     * Stops every server this JVM started, now rather than at exit. For programs that must end
     * cleanly — a JMH fork waits for the in-JVM Kafka broker's threads otherwise. Later calls to
     * {@link #postgres()} and the others start fresh servers.
     */
    public static void stopAll() {
        List<AutoCloseable> stoppers;
        synchronized (Backends.class) {
            stoppers = new ArrayList<>(STOPPERS);
            STOPPERS.clear();
            STARTED.clear();
            POSTGRES.reset();
            REDIS.reset();
            KAFKA.reset();
        }
        for (AutoCloseable stopper : stoppers) {
            try {
                stopper.close();
            } catch (Exception e) {
                System.err.println("backend: error while stopping a server: " + e);
            }
        }
    }

    /** One server, started on first {@link #get()}; a failure is remembered and rethrown, not retried. */
    private static final class LazyServer<B extends Backend> {

        private final String name;
        private final Function<BackendMode, RunningServer<B>> starter;
        private B backend;
        private BackendStartException failure;

        LazyServer(String name, Function<BackendMode, RunningServer<B>> starter) {
            this.name = name;
            this.starter = starter;
        }

        synchronized void reset() {
            backend = null;
            failure = null;
        }

        synchronized B get() {
            if (backend != null) {
                return backend;
            }
            if (failure != null) {
                throw failure;
            }
            BackendMode resolved = mode();
            long begin = System.nanoTime();
            try {
                RunningServer<B> running = starter.apply(resolved);
                Duration startup = Duration.ofNanos(System.nanoTime() - begin);
                register(new StartedBackend(running.backend(), startup), running.stopper());
                System.out.printf("backend: %s, started in %.1f s [%s]%n",
                        running.backend().describe(), startup.toMillis() / 1000.0, modeReason());
                backend = running.backend();
                return backend;
            } catch (BackendStartException e) {
                failure = e;
                throw e;
            } catch (RuntimeException | Error e) {
                failure = new BackendStartException(name, resolved, modeReason(), e);
                throw failure;
            }
        }
    }
}
