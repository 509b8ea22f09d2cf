package dev.backendlabs.shared.backend;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * External mode against addresses where nothing listens: each server fails at once with a
 * {@link BackendStartException} naming the mode, the URL it tried and how to choose another mode.
 */
class ExternalModeTest {

    @Test
    void unreachablePostgresUrlFailsNamingTheUrl() throws IOException {
        String url = "jdbc:postgresql://127.0.0.1:" + closedPort() + "/labs";
        assertThatThrownBy(() -> ExternalServers.postgres(settings(BackendSettings.PG_URL, url)))
                .isInstanceOf(BackendStartException.class)
                .hasMessageContaining(url)
                .hasMessageContaining("'external'")
                .hasMessageContaining("-Dlabs.backend=");
    }

    @Test
    void malformedPostgresUrlFailsNamingTheUrl() {
        assertThatThrownBy(() -> ExternalServers.postgres(settings(BackendSettings.PG_URL, "postgres://nowhere")))
                .isInstanceOf(BackendStartException.class)
                .hasMessageContaining("postgres://nowhere");
    }

    @Test
    void unreachableRedisUrlFailsNamingTheUrl() throws IOException {
        String url = "redis://127.0.0.1:" + closedPort();
        assertThatThrownBy(() -> ExternalServers.redis(settings(BackendSettings.REDIS_URL, url)))
                .isInstanceOf(BackendStartException.class)
                .hasMessageContaining(url)
                .hasMessageContaining("'external'");
    }

    @Test
    void unreachableKafkaBootstrapFailsNamingTheAddress() throws IOException {
        String bootstrap = "127.0.0.1:" + closedPort();
        assertThatThrownBy(() -> ExternalServers.kafka(settings(BackendSettings.KAFKA_BOOTSTRAP, bootstrap)))
                .isInstanceOf(BackendStartException.class)
                .hasMessageContaining(bootstrap)
                .hasMessageContaining("'external'");
    }

    private static BackendSettings settings(String key, String value) {
        return BackendSettings.of(Map.of(BackendSettings.MODE, "external", key, value));
    }

    /** A loopback port that was free a moment ago and now has no listener. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
