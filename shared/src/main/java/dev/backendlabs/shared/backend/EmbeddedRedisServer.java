package dev.backendlabs.shared.backend;

import redis.embedded.RedisServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * A real {@code redis-server} process from the binary bundled in the embedded-redis artifact,
 * on a fixed loopback port that survives {@link #stop()} and {@link #start()}. Persistence is
 * off: the labs never need data to outlive a restart, and a restart that comes back empty is
 * what a cache or rate-limiter node does after a crash.
 */
final class EmbeddedRedisServer implements FaultControl {

    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(15);
    private static final int LAUNCH_ATTEMPTS = 3;

    private final int port;
    private final RedisServer server;

    private EmbeddedRedisServer(int port) throws IOException {
        this.port = port;
        this.server = RedisServer.newRedisServer()
                .port(port)
                .bind("127.0.0.1")
                .setting("save \"\"")
                .setting("appendonly no")
                .setting("protected-mode yes")
                .build();
    }

    /**
     * Starts a server on a freshly picked port. Another process may take the port between the
     * pick and the bind; a failed first start then tries a new port, since no client knows the
     * old one yet.
     */
    static EmbeddedRedisServer launch() {
        RuntimeException last = null;
        for (int attempt = 0; attempt < LAUNCH_ATTEMPTS; attempt++) {
            try {
                EmbeddedRedisServer redis = new EmbeddedRedisServer(FreePorts.pick());
                try {
                    redis.server.start();
                    return redis;
                } catch (IOException | RuntimeException e) {
                    redis.stop();
                    throw e;
                }
            } catch (IOException e) {
                last = new UncheckedIOException(e);
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw last;
    }

    int port() {
        return port;
    }

    @Override
    public synchronized void stop() {
        if (!server.isActive()) {
            return;
        }
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not stop redis-server on port " + port, e);
        }
    }

    /** Starts again on the same port, retrying while the port of the stopped process is still busy. */
    @Override
    public synchronized void start() {
        if (server.isActive()) {
            return;
        }
        Restarts.retry("redis-server on port " + port, RESTART_TIMEOUT, () -> {
            server.start();
            return server;
        });
    }

    @Override
    public boolean running() {
        return server.isActive();
    }
}
