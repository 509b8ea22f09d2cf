package dev.backendlabs.shared.backend;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import redis.clients.jedis.HostAndPort;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Starts the embedded servers: zonky PostgreSQL 17, a bundled redis-server, an in-JVM Kafka broker. */
final class EmbeddedServers {

    private static final String LOOPBACK = "127.0.0.1";

    private EmbeddedServers() {
    }

    /**
     * zonky starts the postmaster with {@code -F} (fsync off) unless told otherwise; the labs
     * measure commit costs, so fsync stays on as in production. zonky runs initdb through
     * {@code unshare -U} when started as root, since PostgreSQL refuses to run as root.
     */
    static RunningServer<PostgresBackend> postgres() {
        try {
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setServerConfig("listen_addresses", LOOPBACK)
                    .setServerConfig("fsync", "on")
                    .setServerConfig("max_connections", "300")
                    .setRegisterShutdownHook(false)
                    .start();
            PostgresBackend backend = new PostgresBackend(BackendMode.EMBEDDED, LOOPBACK, postgres.getPort(),
                    "postgres", "postgres", "postgres");
            return new RunningServer<>(backend, postgres);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static RunningServer<RedisBackend> redis() {
        EmbeddedRedisServer server = EmbeddedRedisServer.launch();
        RedisBackend backend = new RedisBackend(BackendMode.EMBEDDED, new HostAndPort(LOOPBACK, server.port()), server);
        return new RunningServer<>(backend, server::stop);
    }

    static RunningServer<KafkaBackend> kafka() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.launch();
        KafkaBackend backend = new KafkaBackend(BackendMode.EMBEDDED, broker.bootstrapServers(), broker.version(), broker);
        return new RunningServer<>(backend, broker::destroy);
    }
}
