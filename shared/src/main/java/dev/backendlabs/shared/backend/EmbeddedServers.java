package dev.backendlabs.shared.backend;

import redis.clients.jedis.HostAndPort;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Starts the embedded servers: zonky PostgreSQL 17, a bundled redis-server, an in-JVM Kafka broker.
 * If a server starts but its handle cannot be built (the version query fails, say), the server is
 * stopped before the error propagates, so that a failed run leaves no process behind.
 */
final class EmbeddedServers {

    private EmbeddedServers() {
    }

    static RunningServer<PostgresBackend> postgres() {
        EmbeddedPostgresServer server = EmbeddedPostgresServer.launch();
        return handle(server::destroy, () -> new PostgresBackend(BackendMode.EMBEDDED, server.host(), server.port(),
                "postgres", "postgres", "postgres", server), PostgresBackend::closePools);
    }

    static RunningServer<RedisBackend> redis() {
        EmbeddedRedisServer server = EmbeddedRedisServer.launch();
        return handle(server::stop, () -> new RedisBackend(BackendMode.EMBEDDED, new HostAndPort("127.0.0.1", server.port()),
                RedisBackend.NO_CREDENTIALS, server), backend -> { });
    }

    static RunningServer<KafkaBackend> kafka() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.launch();
        return handle(broker::destroy, () -> new KafkaBackend(BackendMode.EMBEDDED, broker.bootstrapServers(), broker.version(), broker),
                backend -> { });
    }

    /** The handle of a started server; at the end {@code beforeStop} releases what the handle holds, then the server goes. */
    private static <B extends Backend> RunningServer<B> handle(Runnable destroy, Supplier<B> handle, Consumer<B> beforeStop) {
        B backend;
        try {
            backend = handle.get();
        } catch (RuntimeException | Error e) {
            try {
                destroy.run();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new RunningServer<>(backend, () -> {
            beforeStop.accept(backend);
            destroy.run();
        });
    }
}
