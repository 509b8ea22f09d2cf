package dev.backendlabs.shared.backend;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;
import redis.clients.jedis.HostAndPort;

/**
 * Starts the servers with the official Testcontainers modules. Kept deliberately thin: the
 * behaviour the labs need comes from the images, not from code here.
 */
final class DockerServers {

    private DockerServers() {
    }

    /**
     * Testcontainers starts PostgreSQL with {@code fsync=off}, which hides the cost of a commit;
     * the command is replaced so that fsync stays on, as in the embedded mode and production.
     */
    static RunningServer<PostgresBackend> postgres() {
        PostgreSQLContainer container = new PostgreSQLContainer(DockerImageName.parse(DockerImages.POSTGRES))
                .withDatabaseName("labs")
                .withUsername("labs")
                .withPassword("labs");
        container.setCommand("postgres", "-c", "fsync=on", "-c", "max_connections=300");
        container.start();
        PostgresBackend backend = new PostgresBackend(BackendMode.DOCKER, container.getHost(), container.getMappedPort(5432),
                container.getUsername(), container.getPassword(), container.getDatabaseName());
        return new RunningServer<>(backend, container::stop);
    }

    static RunningServer<RedisBackend> redis() {
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(DockerImages.REDIS)).withExposedPorts(6379);
        container.start();
        HostAndPort address = new HostAndPort(container.getHost(), container.getMappedPort(6379));
        RedisBackend backend = new RedisBackend(BackendMode.DOCKER, address, new PausedContainerControl(container));
        return new RunningServer<>(backend, container::stop);
    }

    static RunningServer<KafkaBackend> kafka() {
        KafkaContainer container = new KafkaContainer(DockerImageName.parse(DockerImages.KAFKA));
        container.start();
        String version = DockerImageName.parse(DockerImages.KAFKA).getVersionPart();
        KafkaBackend backend = new KafkaBackend(BackendMode.DOCKER, container.getBootstrapServers(), version,
                new PausedContainerControl(container));
        return new RunningServer<>(backend, container::stop);
    }

    /**
     * An outage in docker mode is a paused container: its mapped port would change if it were
     * restarted. Clients see timeouts rather than refused connections, then recover on unpause.
     */
    private static final class PausedContainerControl implements ServerControl {

        private final GenericContainer<?> container;
        private boolean paused;

        PausedContainerControl(GenericContainer<?> container) {
            this.container = container;
        }

        @Override
        public synchronized void stop() {
            if (!paused) {
                container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
                paused = true;
            }
        }

        @Override
        public synchronized void start() {
            if (paused) {
                container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
                paused = false;
            }
        }

        @Override
        public synchronized boolean running() {
            return !paused;
        }
    }
}
