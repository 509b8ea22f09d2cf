package dev.backendlabs.shared.backend;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Starts the servers with the official Testcontainers modules. Kept deliberately thin: the
 * behaviour the labs need comes from the images, not from code here.
 *
 * <p>Each container publishes its port on a <em>fixed</em> host port picked before it starts,
 * instead of Testcontainers' random mapping, because fault control really stops and starts the
 * container (docker stop / docker start on the same container) and a random mapping would change
 * on restart, leaving every client with a dead address. The data survives: a stopped container
 * keeps its file system. Not verified by CI, which has no Docker engine; see the README.
 */
final class DockerServers {

    private DockerServers() {
    }

    /**
     * Testcontainers starts PostgreSQL with {@code fsync=off}, which hides the cost of a commit;
     * the command is replaced so that fsync stays on, as in the embedded mode and production, and
     * {@code wal_level=logical} for the outbox lab's CDC relay (a start setting, like in embedded mode).
     */
    static RunningServer<PostgresBackend> postgres() {
        int hostPort = FreePorts.pick();
        PostgreSQLContainer container = new PostgreSQLContainer(DockerImageName.parse(DockerImages.POSTGRES))
                .withDatabaseName("labs")
                .withUsername("labs")
                .withPassword("labs");
        container.setCommand("postgres", "-c", "fsync=on", "-c", "max_connections=300", "-c", "max_prepared_transactions=20",
                "-c", "wal_level=logical");
        container.setPortBindings(List.of(hostPort + ":5432"));
        return started(container, () -> {
            String url = "jdbc:postgresql://" + container.getHost() + ":" + hostPort + "/labs";
            FaultControl control = new RestartedContainer(container, "postgres", () -> {
                try (Connection connection = DriverManager.getConnection(url, "labs", "labs")) {
                    return connection.isValid(2);
                }
            });
            return new PostgresBackend(BackendMode.DOCKER, container.getHost(), hostPort, "labs", "labs", "labs", control);
        }, PostgresBackend::closePools);
    }

    /** Persistence off, as in embedded mode: a restarted Redis comes back empty, like a crashed cache node. */
    static RunningServer<RedisBackend> redis() {
        int hostPort = FreePorts.pick();
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(DockerImages.REDIS))
                .withExposedPorts(6379)
                .withCommand("redis-server", "--save", "", "--appendonly", "no");
        container.setPortBindings(List.of(hostPort + ":6379"));
        return started(container, () -> {
            HostAndPort address = new HostAndPort(container.getHost(), hostPort);
            FaultControl control = new RestartedContainer(container, "redis", () -> {
                try (Jedis jedis = new Jedis(address)) {
                    return jedis.ping();
                }
            });
            // Read at each call: a restarted container may get another address on the bridge network.
            return new RedisBackend(BackendMode.DOCKER, address, RedisBackend.NO_CREDENTIALS, control, () -> new HostAndPort(
                    container.getCurrentContainerInfo().getNetworkSettings().getIpAddress(), 6379));
        }, backend -> { });
    }

    /**
     * The advertised listener is computed from the mapped port when the container starts; with a
     * fixed host port it stays right across restarts, and the module's start script stays in the
     * container's file system, so {@code docker start} runs the same broker with the same log.
     */
    static RunningServer<KafkaBackend> kafka() {
        int hostPort = FreePorts.pick();
        KafkaContainer container = new KafkaContainer(DockerImageName.parse(DockerImages.KAFKA));
        container.setPortBindings(List.of(hostPort + ":9092"));
        return started(container, () -> {
            String bootstrap = container.getBootstrapServers();
            FaultControl control = new RestartedContainer(container, "kafka", () -> {
                Properties properties = new Properties();
                properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
                properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
                try (Admin admin = Admin.create(properties)) {
                    return admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                }
            });
            String version = DockerImageName.parse(DockerImages.KAFKA).getVersionPart();
            return new KafkaBackend(BackendMode.DOCKER, bootstrap, version, control);
        }, backend -> { });
    }

    /**
     * Starts the container and builds its handle; a container whose handle fails is removed, not
     * left running. At the end, {@code beforeStop} releases what the handle holds (pools), then the
     * container goes.
     */
    private static <B extends Backend> RunningServer<B> started(GenericContainer<?> container, Supplier<B> handle, Consumer<B> beforeStop) {
        container.start();
        try {
            B backend = handle.get();
            return new RunningServer<>(backend, () -> {
                beforeStop.accept(backend);
                container.stop();
            });
        } catch (RuntimeException | Error e) {
            container.stop();
            throw e;
        }
    }
}
