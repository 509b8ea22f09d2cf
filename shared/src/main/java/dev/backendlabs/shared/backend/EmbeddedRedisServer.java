package dev.backendlabs.shared.backend;

import redis.embedded.RedisServer;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A real {@code redis-server} process from the binary bundled in the embedded-redis artifact,
 * on a fixed loopback port that survives {@link #stop()} and {@link #start()}. Persistence is
 * off: the labs never need data to outlive a restart, and a restart that comes back empty is
 * what a cache or rate-limiter node does after a crash.
 */
final class EmbeddedRedisServer implements ServerControl {

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

    static EmbeddedRedisServer launch() {
        try {
            EmbeddedRedisServer redis = new EmbeddedRedisServer(FreePorts.pick());
            redis.start();
            return redis;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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

    @Override
    public synchronized void start() {
        if (server.isActive()) {
            return;
        }
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start redis-server on port " + port, e);
        }
    }

    @Override
    public boolean running() {
        return server.isActive();
    }
}
