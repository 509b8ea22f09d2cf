package dev.backendlabs.shared.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml serves the {@code external} mode, so its ports and credentials must equal
 * the external defaults, its ports must bind to loopback, every service needs a healthcheck
 * (so {@code docker compose up --wait} does not race), and its image majors must match the
 * {@code docker} mode's.
 */
class ComposeFileDriftTest {

    private static JsonNode services;

    @BeforeAll
    static void parseComposeFile() throws IOException {
        Path directory = Path.of("").toAbsolutePath();
        while (directory != null && !Files.exists(directory.resolve("docker-compose.yml"))) {
            directory = directory.getParent();
        }
        assertThat(directory).as("docker-compose.yml above " + Path.of("").toAbsolutePath()).isNotNull();
        services = new ObjectMapper(new YAMLFactory()).readTree(directory.resolve("docker-compose.yml").toFile()).path("services");
    }

    @Test
    void postgresMatchesTheExternalDefaults() {
        JsonNode postgres = services.path("postgres");
        Properties url = Driver.parseURL(BackendSettings.DEFAULT_PG_URL, null);
        assertThat(ports(postgres)).containsExactly("127.0.0.1:" + url.getProperty("PGPORT") + ":5432");
        assertThat(postgres.path("environment").path("POSTGRES_DB").asText()).isEqualTo(url.getProperty("PGDBNAME"));
        assertThat(postgres.path("environment").path("POSTGRES_USER").asText()).isEqualTo(BackendSettings.DEFAULT_PG_USER);
        assertThat(postgres.path("environment").path("POSTGRES_PASSWORD").asText()).isEqualTo(BackendSettings.DEFAULT_PG_PASSWORD);
        assertThat(major(postgres.path("image").asText())).isEqualTo(major(DockerImages.POSTGRES));
    }

    /** The outbox lab's CDC relay needs logical decoding; wal_level is a start setting, so it is on the command line. */
    @Test
    void postgresStartsWithLogicalWal() {
        List<String> command = new ArrayList<>();
        services.path("postgres").path("command").forEach(word -> command.add(word.asText()));
        assertThat(command).containsSubsequence("-c", "wal_level=logical");
    }

    @Test
    void redisMatchesTheExternalDefaults() {
        JsonNode redis = services.path("redis");
        URI url = URI.create(BackendSettings.DEFAULT_REDIS_URL);
        assertThat(ports(redis)).containsExactly("127.0.0.1:" + url.getPort() + ":6379");
        assertThat(major(redis.path("image").asText())).isEqualTo(major(DockerImages.REDIS));
    }

    @Test
    void kafkaMatchesTheExternalDefaults() {
        JsonNode kafka = services.path("kafka");
        String bootstrap = BackendSettings.DEFAULT_KAFKA_BOOTSTRAP;
        String port = bootstrap.substring(bootstrap.lastIndexOf(':') + 1);
        assertThat(ports(kafka)).containsExactly("127.0.0.1:" + port + ":9092");
        assertThat(kafka.path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText()).isEqualTo("PLAINTEXT://" + bootstrap);
        assertThat(kafka.path("environment").path("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR").asInt()).isEqualTo(1);
        assertThat(kafka.path("environment").path("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR").asInt()).isEqualTo(1);
        assertThat(major(kafka.path("image").asText())).isEqualTo(major(DockerImages.KAFKA));
    }

    @Test
    void everyServiceHasAHealthcheckAndOnlyLoopbackPorts() {
        assertThat(services.size()).isEqualTo(3);
        services.forEach(service -> {
            assertThat(service.path("healthcheck").path("test").isMissingNode()).isFalse();
            assertThat(ports(service)).allMatch(p -> p.startsWith("127.0.0.1:"));
        });
    }

    private static List<String> ports(JsonNode service) {
        List<String> ports = new ArrayList<>();
        service.path("ports").forEach(port -> ports.add(port.asText()));
        return ports;
    }

    /** {@code postgres:17.6} → {@code postgres:17}. */
    private static String major(String image) {
        String[] parts = image.split(":", 2);
        return parts[0] + ":" + parts[1].split("\\.")[0];
    }
}
