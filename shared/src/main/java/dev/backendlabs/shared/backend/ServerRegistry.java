package dev.backendlabs.shared.backend;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The servers of one JVM: each {@link ServerKind} started once, on first use, and everything
 * started stopped together at the end.
 *
 * <p>Locking rule: no lock is ever held while calling out — not while a server starts (which takes
 * seconds, and may ask this registry for the servers it depends on), not while one stops. A start
 * is memoized as a future put into a concurrent map, so concurrent callers wait on the future,
 * not on a monitor; the registry's own monitor guards only its lists and is never held across a
 * call to anything else. That is what lets a shutdown hook stop everything while a start is in
 * progress (Ctrl-C during start-up) instead of deadlocking and orphaning the embedded processes.
 */
final class ServerRegistry {

    private final BackendSettings settings;
    private final Supplier<Optional<String>> embeddedUnsupported;
    private final BooleanSupplier dockerAvailable;
    private final Consumer<String> console;
    private final Map<ServerKind<?>, CompletableFuture<Backend>> servers = new ConcurrentHashMap<>();
    private final Deque<AutoCloseable> stoppers = new ArrayDeque<>();
    private final List<StartedBackend> started = new ArrayList<>();
    private BackendMode mode;
    private String modeReason;
    private boolean shutDown;

    ServerRegistry(BackendSettings settings, Supplier<Optional<String>> embeddedUnsupported, BooleanSupplier dockerAvailable,
                   Consumer<String> console) {
        this.settings = settings;
        this.embeddedUnsupported = embeddedUnsupported;
        this.dockerAvailable = dockerAvailable;
        this.console = console;
    }

    /** The running server of {@code kind}, started by the first caller; a failed start is remembered and rethrown. */
    <B extends Backend> B get(ServerKind<B> kind) {
        CompletableFuture<Backend> created = new CompletableFuture<>();
        CompletableFuture<Backend> server = servers.putIfAbsent(kind, created);
        if (server == null) {
            server = created;
            try {
                created.complete(start(kind, true).backend());
            } catch (Throwable e) {
                created.completeExceptionally(e);
            }
        }
        try {
            return kind.type().cast(server.join());
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }

    /** A server of {@code kind} for the caller alone, not shared; the caller closes it, or the end of the run does. */
    <B extends Backend> RunningServer<B> startDedicated(ServerKind<B> kind) {
        return start(kind, false);
    }

    private <B extends Backend> RunningServer<B> start(ServerKind<B> kind, boolean shared) {
        BackendMode resolved = mode();
        long begin = System.nanoTime();
        RunningServer<B> running;
        try {
            running = kind.start(resolved, settings);
        } catch (BackendStartException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            throw new BackendStartException(kind.name(), resolved, modeReason(), e);
        }
        Duration startup = Duration.ofNanos(System.nanoTime() - begin);
        if (!register(shared ? new StartedBackend(running.backend(), startup) : null, running)) {
            running.close();
            throw new BackendStartException(kind.name(), resolved, "the JVM is shutting down", null);
        }
        console.accept(String.format("backend: %s%s, started in %.1f s [%s]", running.backend().describe(), shared ? "" : " (dedicated)",
                startup.toMillis() / 1000.0, modeReason()));
        return running;
    }

    private synchronized boolean register(StartedBackend startedBackend, AutoCloseable stopper) {
        if (shutDown) {
            return false;
        }
        if (startedBackend != null) {
            started.add(startedBackend);
        }
        stoppers.push(stopper);
        return true;
    }

    /** The concrete mode of this run, resolving {@code auto} on first call. */
    synchronized BackendMode mode() {
        if (mode == null) {
            BackendMode requested = settings.mode();
            Optional<String> unsupported = requested == BackendMode.AUTO ? embeddedUnsupported.get() : Optional.empty();
            mode = requested.resolve(unsupported, dockerAvailable);
            modeReason = requested != BackendMode.AUTO ? "requested"
                    : unsupported.isEmpty() ? "auto: embedded servers run on this platform"
                    : "auto: " + unsupported.get()
                    + (mode == BackendMode.DOCKER ? "; a Docker engine answered" : ", and no Docker engine answered");
        }
        return mode;
    }

    synchronized String modeReason() {
        mode();
        return modeReason;
    }

    /** The shared servers started so far, in start order. */
    synchronized List<StartedBackend> started() {
        return List.copyOf(started);
    }

    /** Stops every server started so far, newest first; later calls to {@link #get} start fresh ones. */
    void stopAll() {
        List<AutoCloseable> toStop;
        synchronized (this) {
            toStop = new ArrayList<>(stoppers);
            stoppers.clear();
            started.clear();
            servers.clear();
        }
        for (AutoCloseable stopper : toStop) {
            try {
                stopper.close();
            } catch (Exception e) {
                console.accept("backend: error while stopping a server: " + e);
            }
        }
    }

    /** {@link #stopAll()} for good: a server whose start finishes after this is stopped at once. */
    void shutdown() {
        synchronized (this) {
            shutDown = true;
        }
        stopAll();
    }
}
