package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Memory stays bounded: every key the limiter writes carries a TTL, so 100,000 distinct callers
 * leave nothing behind once their buckets are full again.
 */
@Lab
class KeyExpiryTest {

    private static final int KEYS = 100_000;

    @Test
    void everyKeyGetsATtlAndAllOfThemExpire(RedisBackend redis, LabNamespace namespace) throws Exception {
        String prefix = namespace.redisKey("expiry") + ":";
        // capacity 1 at 1,000/s: full again 1 ms after a request, so each key lives about 1 ms + 1 s slack.
        try (TokenBucketRateLimiter limiter = TokenBucketRateLimiter.builder(BucketPolicy.perSecond(1, 1000))
                .redis(new HostAndPort(redis.host(), redis.port())).maxConnections(16).timeout(Duration.ofSeconds(2)).build()) {
            LoadResult load = LoadRunner.workers(16).operations(KEYS)
                    .run((worker, sequence) -> assertThat(limiter.tryAcquire(prefix + sequence).allowed()).isTrue());
            assertThat(load.errors()).isZero();
        }

        try (Jedis jedis = redis.connect()) {
            List<Long> ttls = ttlsOfKeysWithPrefix(jedis, prefix);
            assertThat(ttls).as("keys without a TTL (-1)").doesNotContain(-1L);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> ttlsOfKeysWithPrefix(jedis, prefix).isEmpty());
        }
    }

    private static List<Long> ttlsOfKeysWithPrefix(Jedis jedis, String prefix) {
        List<Long> ttls = new ArrayList<>();
        ScanParams params = new ScanParams().match(prefix + "*").count(1000);
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = jedis.scan(cursor, params);
            Pipeline pipeline = jedis.pipelined();
            List<Response<Long>> responses = page.getResult().stream().map(pipeline::pttl).toList();
            pipeline.sync();
            responses.stream().map(Response::get).filter(ttl -> ttl != -2).forEach(ttls::add);
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        return ttls;
    }
}
