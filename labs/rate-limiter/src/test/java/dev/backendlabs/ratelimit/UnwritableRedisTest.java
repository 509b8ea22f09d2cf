package dev.backendlabs.ratelimit;

import dev.backendlabs.ratelimit.RateLimiterFixture.FilteredServer;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.backend.RunningServer;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A Redis that answers but refuses writes: a replica (what a client still pointing at the old
 * primary reaches after a failover) answers {@code READONLY}, a server at {@code maxmemory} with
 * {@code noeviction} answers {@code OOM}. Redis 6.2 wraps either, raised inside the script, as
 * {@code ERR Error running script ... -READONLY ...}; the limiter must still recognise it as
 * unavailability and let the failure policy decide, and the HTTP filter must still answer.
 * Both servers are private ({@code Backends.newRedis()}), so the shared one is never disturbed.
 */
@Lab
class UnwritableRedisTest {

    private static final BucketPolicy POLICY = BucketPolicy.perSecond(10, 1);
    private static final int DECISIONS = 5;

    @Test
    void everyWritingDecisionOnAReadOnlyReplicaIsDecidedByTheFailurePolicy(RedisBackend primary, LabNamespace namespace, LabReport report)
            throws Exception {
        try (RunningServer<RedisBackend> replica = Backends.newRedis()) {
            RedisBackend redis = replica.backend();
            try (Jedis jedis = redis.connect()) {
                jedis.replicaof(primary.addressForServers().getHost(), primary.addressForServers().getPort());
                await().atMost(Duration.ofSeconds(10)).until(() -> jedis.info("replication").contains("master_link_status:up"));
            }
            try (TokenBucketRateLimiter open = limiter(redis, FailurePolicy.FAIL_OPEN);
                 TokenBucketRateLimiter closed = limiter(redis, FailurePolicy.FAIL_CLOSED);
                 FilteredServer server = FilteredServer.start(
                         new RateLimitingFilter(closed, exchange -> namespace.redisKey("readonly", "http")));
                 HttpClient client = HttpClient.newHttpClient()) {
                long fallbacks = 0;
                for (int i = 0; i < DECISIONS; i++) {
                    String key = namespace.redisKey("readonly", UUID.randomUUID().toString());
                    Decision admitted = open.tryAcquire(key);
                    Decision denied = closed.tryAcquire(key);
                    assertThat(admitted.allowed()).isTrue();
                    assertThat(denied.allowed()).isFalse();
                    fallbacks += admitted.source() == Decision.Source.FAIL_OPEN ? 1 : 0;
                    fallbacks += denied.source() == Decision.Source.FAIL_CLOSED ? 1 : 0;
                }
                report.metric("readonly_fallback_decisions", fallbacks, "decisions",
                        "Decisions on a read-only replica (REPLICAOF the shared Redis) decided by the failure policy, of " + 2 * DECISIONS
                                + " that had to write: READONLY, wrapped by Redis 6.2 in a script error, is unavailability.");
                assertThat(fallbacks).as("decisions made by the failure policy").isEqualTo(2L * DECISIONS);
                assertThat(open.metrics().failOpenAdmits()).isEqualTo(DECISIONS);
                assertThat(closed.metrics().failClosedDenials()).isEqualTo(DECISIONS);

                // A peek writes nothing: the replica answers it from its copy of the bucket.
                assertThat(open.tryAcquire(namespace.redisKey("readonly", "peek"), 0).source()).isEqualTo(Decision.Source.REDIS);

                HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.uri()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as("fail-closed filter on the replica").isEqualTo(503);
                assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(response.headers().firstValue("RateLimit-Policy")).hasValue("\"default\";q=10;w=10");
            }
        }
    }

    @Test
    void everyWritingDecisionOnARedisAtMaxmemoryIsDecidedByTheFailurePolicy(LabNamespace namespace) {
        try (RunningServer<RedisBackend> full = Backends.newRedis()) {
            RedisBackend redis = full.backend();
            try (TokenBucketRateLimiter open = limiter(redis, FailurePolicy.FAIL_OPEN);
                 TokenBucketRateLimiter closed = limiter(redis, FailurePolicy.FAIL_CLOSED)) {
                fillPastMaxmemory(redis);

                for (int i = 0; i < DECISIONS; i++) {
                    String key = namespace.redisKey("oom", UUID.randomUUID().toString());
                    assertThat(open.tryAcquire(key).source()).isEqualTo(Decision.Source.FAIL_OPEN);
                    assertThat(closed.tryAcquire(key).source()).isEqualTo(Decision.Source.FAIL_CLOSED);
                }
                assertThat(open.metrics().failOpenAdmits()).isEqualTo(DECISIONS);
                assertThat(closed.metrics().failClosedDenials()).isEqualTo(DECISIONS);
            }
        }
    }

    /**
     * Where the code stands decides, not whether it appears: first in the message (Redis 7, or a
     * command outside a script) or right after Redis 6.2's script wrapper, and as a whole code.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "READONLY You can't write against a read only replica.| true",
            "ERR Error running script (call to f_60edcc21046796b8f02c0d747bc7343e72ea3918): @user_script:129: @user_script: 129:"
                    + " -READONLY You can't write against a read only replica.| true",
            "ERR Error running script (call to f_60edcc21046796b8f02c0d747bc7343e72ea3918): @user_script:129: @user_script: 129:"
                    + " -OOM command not allowed when used memory > 'maxmemory'.| true",
            "OOM command not allowed when used memory > 'maxmemory'. script: 60edcc21, on @user_script:129.| true",
            "LOADING Redis is loading the dataset in memory| true",
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.| true",
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.| true",
            "CLUSTERDOWN The cluster is down| true",
            "TRYAGAIN Multiple keys request during rehashing of slot| true",
            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.| true",
            "NOREPLICAS Not enough good replicas to write.| true",
            "BUSYKEY Target key name already exists.| false",
            "WRONGTYPE Operation against a key holding the wrong kind of value| false",
            "ERR Error running script (call to f_4b24377137e35b1a2408d95f88a176cf28851a4b): @user_script:99: WRONGTYPE Operation"
                    + " against a key holding the wrong kind of value| false",
            "ERR Error running script (call to f_4b24377137e35b1a2408d95f88a176cf28851a4b): @user_script:99: OOM command not"
                    + " allowed when used memory > 'maxmemory'.| true",
            "ERR rate-limiter: rate must be a decimal number of tokens per second from capacity / 1e15 to 1000000000,"
                    + " got 'READONLY'| false",
            "ERR Error running script (call to f_60edcc21046796b8f02c0d747bc7343e72ea3918): @user_script:1: user error: -OOM| false",
            "ERR unknown command 'READONLY -OOM'| false"})
    void onlyAnUnavailabilityCodeWhereRedisPutsItCounts(String message, boolean unavailable) {
        assertThat(ScriptedRateLimiter.isUnavailable(new JedisDataException(message))).isEqualTo(unavailable);
    }

    /**
     * Data above {@code maxmemory} with {@code noeviction}: 2 MiB of values, then the limit set 1 MiB below what the
     * server uses. (Filling up to a limit set first is not enough: the write that gets OOM is rejected because its own
     * arguments push memory over the limit, and once they are freed the next small write fits again.)
     */
    private static void fillPastMaxmemory(RedisBackend redis) {
        try (Jedis jedis = redis.connect()) {
            jedis.configSet("maxmemory-policy", "noeviction");
            String value = "x".repeat(64 * 1024);
            for (int i = 0; i < 32; i++) {
                jedis.set("filler:" + i, value);
            }
            long used = Long.parseLong(jedis.info("memory").lines()
                    .filter(line -> line.startsWith("used_memory:")).findFirst().orElseThrow().substring("used_memory:".length()).trim());
            jedis.configSet("maxmemory", Long.toString(used - (1 << 20)));
            assertThatThrownBy(() -> jedis.set("one-more", "x")).as("any write at maxmemory")
                    .isInstanceOf(JedisDataException.class).hasMessageStartingWith("OOM");
        }
    }

    private static TokenBucketRateLimiter limiter(RedisBackend redis, FailurePolicy policy) {
        return TokenBucketRateLimiter.builder(POLICY).redis(new HostAndPort(redis.host(), redis.port())).failurePolicy(policy)
                .timeout(Duration.ofSeconds(1)).build();
    }
}
