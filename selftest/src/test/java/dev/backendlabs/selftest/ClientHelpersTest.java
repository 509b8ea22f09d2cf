package dev.backendlabs.selftest;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.sql.Sql;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The client helpers every lab uses instead of its own copy: the shared pool, {@code Sql}, Redis pools, Kafka clients. */
@Lab("selftest")
class ClientHelpersTest {

    @Test
    void theSharedPoolIsOnePerNamespaceAndSqlRunsOnIt(PostgresBackend postgres, LabNamespace namespace) {
        HikariDataSource pool = postgres.pool(namespace);
        assertThat(postgres.pool(namespace)).isSameAs(pool);
        assertThat(postgres.pool(new LabNamespace("selftest-other"))).isNotSameAs(pool);

        Sql.execute(pool, "DROP TABLE IF EXISTS helper_numbers");
        Sql.execute(pool, "CREATE TABLE helper_numbers (n bigint)");
        assertThat(Sql.execute(pool, "INSERT INTO helper_numbers SELECT generate_series(1, ?)", 5)).isEqualTo(5);
        assertThat(Sql.queryLong(pool, "SELECT sum(n) FROM helper_numbers WHERE n > ?", 2L)).isEqualTo(12);
        assertThat(Sql.queryLongs(pool, "SELECT n FROM helper_numbers ORDER BY n")).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThatThrownBy(() -> Sql.queryLong(pool, "SELECT n FROM helper_numbers"))
                .isInstanceOf(Sql.UncheckedSqlException.class).hasMessageContaining("expected one row, got 5");
        assertThatThrownBy(() -> Sql.execute(pool, "INSERT INTO no_such_table VALUES (1)"))
                .isInstanceOfSatisfying(Sql.UncheckedSqlException.class, e -> assertThat(e.sqlState()).isEqualTo("42P01"))
                .hasMessageContaining("no_such_table");
    }

    @Test
    void aRedisPoolOfNConnectionsWaitsAtMostItsTimeoutForOne(RedisBackend redis) {
        try (JedisPool pool = redis.newPool(1, Duration.ofMillis(200)); Jedis held = pool.getResource()) {
            long start = System.nanoTime();
            assertThatThrownBy(pool::getResource).as("a second connection from a pool of one");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(190))
                    .isLessThan(Duration.ofSeconds(2));
            assertThat(held.ping()).isEqualTo("PONG");
        }
        assertThat(redis.hostAndPort().getPort()).isEqualTo(redis.port());
    }

    @Test
    void kafkaClientsRoundTripThroughTheHelpers(KafkaBackend kafka, LabNamespace namespace) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String topic = namespace.topic("helpers-" + run);
        kafka.createTopic(topic, 1);
        try (KafkaProducer<String, String> producer = kafka.newProducer(properties -> properties.put(ProducerConfig.LINGER_MS_CONFIG, 0))) {
            producer.send(new ProducerRecord<>(topic, "k", "v")).get(30, TimeUnit.SECONDS);
        }
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = kafka.newConsumer(namespace.consumerGroup("helpers-" + run), topic)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> values.add(record.value()));
                return !values.isEmpty();
            });
        }
        assertThat(values).containsExactly("v");
    }
}
