package dev.backendlabs.selftest;

import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.net.Direction;
import dev.backendlabs.shared.net.FaultProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import redis.clients.jedis.exceptions.JedisConnectionException;

import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Each fault of a {@link FaultProxy} between Jedis and the real Redis, and the client error it produces. */
@Lab("selftest")
class RedisBehindFaultProxyTest {

    /** Jedis' connect and read timeout: a loopback round trip takes under 5 ms even on 2 busy cores. */
    private static final int TIMEOUT_MS = 500;
    private static final int LARGE = 100_000;

    private FaultProxy proxy;
    private JedisClientConfig clientConfig;
    private JedisPool pool;
    private String key;

    @BeforeEach
    void start(RedisBackend redis, LabNamespace namespace) {
        proxy = FaultProxy.start("redis", redis.host(), redis.port());
        clientConfig = DefaultJedisClientConfig.builder().connectionTimeoutMillis(TIMEOUT_MS).socketTimeoutMillis(TIMEOUT_MS).build();
        JedisPoolConfig poolConfig = new JedisPoolConfig();
        poolConfig.setMaxTotal(2);
        pool = new JedisPool(poolConfig, new HostAndPort(proxy.host(), proxy.port()), clientConfig);
        key = namespace.redisKey("fault-proxy");
    }

    @AfterEach
    void stop() {
        pool.close();
        proxy.close();
    }

    @Test
    void blackholeTimesOutACommandAndThePoolRecoversAfterResume() {
        assertThat(ping()).isEqualTo("PONG");

        proxy.blackhole();
        long start = System.nanoTime();
        assertThatThrownBy(() -> ping()).isInstanceOf(JedisConnectionException.class)
                .cause().isInstanceOf(SocketTimeoutException.class);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("failed only at the read timeout")
                .isGreaterThanOrEqualTo(TIMEOUT_MS);
        proxy.resume();

        assertThat(ping()).as("the same pool, after the partition heals").isEqualTo("PONG");
        pool.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);
    }

    @Test
    void resetFailsABlockedCommandAndNewConnectionsWithConnectionReset() throws Exception {
        long before = proxy.bytes(Direction.UPSTREAM);
        CompletableFuture<List<String>> blocked = CompletableFuture.supplyAsync(() -> withJedis(jedis -> jedis.blpop(5, key)));
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.bytes(Direction.UPSTREAM) > before);

        proxy.reset();

        assertThatThrownBy(() -> blocked.get(2, TimeUnit.SECONDS)).as("well before the 5 s BLPOP timeout")
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(JedisConnectionException.class)
                .rootCause().isInstanceOf(SocketException.class).hasMessageContaining("Connection reset");
        // The RST may beat the end of the handshake on the client ("Failed to connect") or come at the first command.
        assertThatThrownBy(() -> ping()).as("a new connection").isInstanceOf(JedisConnectionException.class)
                .satisfies(error -> assertThat(socketErrors(error)).anySatisfy(socketError ->
                        assertThat(socketError).isInstanceOf(SocketException.class).hasMessageContaining("Connection reset")));
        proxy.resume();

        assertThat(ping()).isEqualTo("PONG");
    }

    @Test
    void refuseFailsNewConnectionsWithConnectionRefusedWhileOpenOnesCarryOn() {
        try (Jedis open = pool.getResource()) {
            assertThat(open.ping()).isEqualTo("PONG");

            proxy.refuse();

            assertThatThrownBy(() -> {
                try (Jedis fresh = new Jedis(new HostAndPort(proxy.host(), proxy.port()), clientConfig)) {
                    fresh.ping();
                }
            }).isInstanceOf(JedisConnectionException.class).hasMessageContaining("Failed to connect")
                    .satisfies(error -> assertThat(socketErrors(error)).anySatisfy(socketError ->
                            assertThat(socketError).isInstanceOf(ConnectException.class).hasMessageContaining("Connection refused")));
            assertThat(open.ping()).as("the open connection").isEqualTo("PONG");
        }
        proxy.resume();

        try (Jedis fresh = new Jedis(new HostAndPort(proxy.host(), proxy.port()), clientConfig)) {
            assertThat(fresh.ping()).as("a new connection, on the same port").isEqualTo("PONG");
        }
    }

    @Test
    void latencyAddsToEveryRoundTrip() {
        ping();
        proxy.latency(Direction.UPSTREAM, Duration.ofMillis(50), Duration.ofMillis(10));
        proxy.latency(Direction.DOWNSTREAM, Duration.ofMillis(50), Duration.ofMillis(10));

        long fastestMs = withJedis(jedis -> {
            long fastest = Long.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                jedis.ping();
                fastest = Math.min(fastest, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
            return fastest;
        });

        // (50 - 10) ms each way; the fastest of 5 PINGs measured 94-95 ms on 2 cores at load 10-14.
        assertThat(fastestMs).isGreaterThanOrEqualTo(80);
    }

    @Test
    void timeoutAfterHangsAReplyHalfwayAndPassesExactlyTheBudget() {
        String value = "x".repeat(LARGE);
        withJedis(jedis -> jedis.set(key, value));
        long before = proxy.bytes(Direction.DOWNSTREAM);

        proxy.timeoutAfter(Direction.DOWNSTREAM, 1_024);

        assertThatThrownBy(() -> withJedis(jedis -> jedis.get(key))).isInstanceOf(JedisConnectionException.class)
                .cause().isInstanceOf(SocketTimeoutException.class);
        assertThat(proxy.bytes(Direction.DOWNSTREAM) - before).isEqualTo(1_024);
        proxy.resume();

        String recovered = withJedis(jedis -> jedis.get(key));
        assertThat(recovered).as("the same pool, after resume").isEqualTo(value);
        withJedis(jedis -> jedis.del(key));
    }

    @Test
    void bandwidthStretchesALargeReplyToAtLeastSizeOverRate() {
        String value = "x".repeat(LARGE);
        withJedis(jedis -> jedis.set(key, value));
        proxy.bandwidth(Direction.DOWNSTREAM, 250_000);

        long start = System.nanoTime();
        String read = withJedis(jedis -> jedis.get(key));
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(read).isEqualTo(value);
        // 100 000 bytes at 250 000 B/s: 400 ms of wire time; 405-578 ms measured on 2 cores at load 10-14.
        assertThat(elapsedMs).isGreaterThanOrEqualTo(400);
        withJedis(jedis -> jedis.del(key));
    }

    /** The errors behind a Jedis failure: its causes, and the failures it attaches as suppressed, one per address tried. */
    private static List<Throwable> socketErrors(Throwable error) {
        List<Throwable> errors = new ArrayList<>();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            errors.add(cause);
            errors.addAll(List.of(cause.getSuppressed()));
        }
        return errors;
    }

    private String ping() {
        return withJedis(Jedis::ping);
    }

    private <T> T withJedis(Function<Jedis, T> command) {
        try (Jedis jedis = pool.getResource()) {
            return command.apply(jedis);
        }
    }
}
