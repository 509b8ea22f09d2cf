package dev.backendlabs.selftest;

import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.backend.RunningServer;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import redis.clients.jedis.exceptions.JedisConnectionException;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Lab("selftest")
class RedisBackendTest {

    @Test
    void evalOfLuaScriptReturnsTheServerClock(RedisBackend redis) {
        try (Jedis jedis = redis.connect()) {
            long before = System.currentTimeMillis();
            @SuppressWarnings("unchecked")
            List<Object> time = (List<Object>) jedis.eval(
                    "local t = redis.call('TIME') return {t[1], t[2], redis.call('INCRBY', KEYS[1], ARGV[1])}",
                    List.of("selftest:eval"), List.of("5"));
            long serverMillis = Long.parseLong((String) time.get(0)) * 1000 + Long.parseLong((String) time.get(1)) / 1000;
            assertThat(serverMillis).isBetween(before - 5_000, System.currentTimeMillis() + 5_000);
            assertThat((Long) time.get(2)).isPositive();
            jedis.del("selftest:eval");
        }
        assertThat(redis.version()).matches("\\d+\\.\\d+\\.\\d+");
    }

    @Test
    void aDedicatedRedisIsASecondServerThatCanBeMadeAReplicaOfTheShared(RedisBackend redis) {
        try (RunningServer<RedisBackend> dedicated = Backends.newRedis(); Jedis replica = dedicated.backend().connect();
             Jedis primary = redis.connect()) {
            assertThat(dedicated.backend().port()).isNotEqualTo(redis.port());
            primary.set("selftest:replicated", "from the primary");
            replica.replicaof(redis.addressForServers().getHost(), redis.addressForServers().getPort());
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> "from the primary".equals(replica.get("selftest:replicated")));
                assertThatThrownBy(() -> replica.set("selftest:replicated", "x")).hasMessageContaining("READONLY");
            } finally {
                replica.replicaofNoOne();
                primary.del("selftest:replicated");
            }
        }
    }

    @Test
    void stopAndStartKeepThePortAndAFailedClientRecovers(RedisBackend redis) {
        JedisPoolConfig config = new JedisPoolConfig();
        config.setMaxTotal(1);
        int port = redis.port();
        try (JedisPool pool = redis.newPool(config, Duration.ofMillis(500))) {
            try (Jedis jedis = pool.getResource()) {
                assertThat(jedis.ping()).isEqualTo("PONG");
            }

            redis.stop();
            try {
                assertThat(redis.running()).isFalse();
                assertThatThrownBy(() -> {
                    try (Jedis jedis = pool.getResource()) {
                        jedis.set("selftest:outage", "x");
                    }
                }).isInstanceOf(JedisConnectionException.class);
            } finally {
                redis.start();
            }

            assertThat(redis.running()).isTrue();
            assertThat(redis.port()).isEqualTo(port);
            try (Jedis jedis = pool.getResource()) {
                assertThat(jedis.set("selftest:outage", "recovered")).isEqualTo("OK");
                assertThat(jedis.configGet("port")).containsEntry("port", String.valueOf(port));
                jedis.del("selftest:outage");
            }
        }
    }
}
