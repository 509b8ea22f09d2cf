package dev.backendlabs.shared.backend;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * External mode against a real redis-server that requires a password (a private embedded one,
 * started in a fraction of a second): the credentials in {@code LABS_REDIS_URL} are used for every
 * connection, and a wrong password fails at start-up without printing it.
 */
class ExternalRedisCredentialsTest {

    @Test
    void theCredentialsInTheUrlAreUsedForEveryConnection() {
        try (RunningServer<RedisBackend> secured = EmbeddedServers.redis(); Jedis admin = secured.backend().connect()) {
            admin.configSet("requirepass", "s3cret");
            String url = "redis://:s3cret@127.0.0.1:" + secured.backend().port();

            RedisBackend external = ExternalServers.redis(settings(url)).backend();

            try (Jedis jedis = external.connect()) {
                assertThat(jedis.ping()).isEqualTo("PONG");
            }
            assertThat(external.version()).isEqualTo(secured.backend().version());
            assertThatThrownBy(() -> ExternalServers.redis(settings("redis://:wrong@127.0.0.1:" + secured.backend().port())))
                    .isInstanceOf(BackendStartException.class)
                    .hasMessageContaining("redis://***@127.0.0.1")
                    .hasMessageNotContaining("wrong");
        }
    }

    private static BackendSettings settings(String url) {
        return BackendSettings.of(Map.of(BackendSettings.MODE, "external", BackendSettings.REDIS_URL, url));
    }
}
