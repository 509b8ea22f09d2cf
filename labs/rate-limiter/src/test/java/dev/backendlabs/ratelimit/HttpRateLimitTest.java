package dev.backendlabs.ratelimit;

import com.sun.net.httpserver.HttpExchange;
import dev.backendlabs.ratelimit.RateLimiterFixture.FilteredServer;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real HTTP round trip: the JDK's HttpServer with {@link RateLimitingFilter}, called by its
 * HttpClient. Every request gets an answer, also when the limiter cannot decide.
 */
@Lab
class HttpRateLimitTest {

    @Test
    void fourthRequestGets429WithRetryAfterAndRateLimitHeaders(RedisBackend redis, LabNamespace namespace) throws Exception {
        String apiKey = UUID.randomUUID().toString();
        try (TokenBucketRateLimiter limiter = limiter(redis);
             FilteredServer server = FilteredServer.start(new RateLimitingFilter(limiter, apiKeyBucket(namespace)));
             HttpClient client = HttpClient.newHttpClient()) {
            List<HttpResponse<String>> responses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                responses.add(client.send(HttpRequest.newBuilder(server.uri()).header("X-Api-Key", apiKey).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }

            for (int i = 0; i < 3; i++) {
                HttpResponse<String> ok = responses.get(i);
                assertThat(ok.statusCode()).isEqualTo(200);
                assertThat(ok.body()).isEqualTo("ok");
                assertThat(ok.headers().firstValue("RateLimit-Policy")).hasValue("\"default\";q=3;w=3");
                assertThat(ok.headers().firstValue("RateLimit")).hasValue("\"default\";r=" + (2 - i) + ";t=" + (i + 1));
                assertThat(ok.headers().firstValue("Retry-After")).isEmpty();
            }
            HttpResponse<String> limited = responses.get(3);
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(limited.headers().firstValue("RateLimit-Policy")).hasValue("\"default\";q=3;w=3");
            assertThat(limited.headers().firstValue("RateLimit")).hasValue("\"default\";r=0;t=3");
        }
    }

    @Test
    void requestWithoutAKeyGets400(RedisBackend redis, LabNamespace namespace) throws Exception {
        try (TokenBucketRateLimiter limiter = limiter(redis);
             FilteredServer server = FilteredServer.start(new RateLimitingFilter(limiter,
                     exchange -> Objects.requireNonNullElse(exchange.getRequestHeaders().getFirst("X-Api-Key"), "")));
             HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.uri()).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(limiter.metrics().allowed() + limiter.metrics().denied() + limiter.metrics().redisFailures()).isZero();
        }
    }

    @Test
    void unexpectedLimiterFailureGets503WithThePolicyAndRetryAfter(RedisBackend redis, LabNamespace namespace) throws Exception {
        String apiKey = UUID.randomUUID().toString();
        try (TokenBucketRateLimiter limiter = limiter(redis);
             FilteredServer server = FilteredServer.start(new RateLimitingFilter(limiter, apiKeyBucket(namespace)));
             HttpClient client = HttpClient.newHttpClient();
             Jedis jedis = redis.connect()) {
            // A key that holds a list: the script's GET answers WRONGTYPE, a bug rather than unavailability, so the limiter throws.
            String key = namespace.redisKey("http", apiKey);
            jedis.rpush(key, "not a bucket");

            HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.uri()).header("X-Api-Key", apiKey).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(response.headers().firstValue("RateLimit-Policy")).hasValue("\"default\";q=3;w=3");
            assertThat(response.headers().firstValue("RateLimit")).as("no remaining count is known").isEmpty();
            jedis.del(key);
        }
    }

    private static TokenBucketRateLimiter limiter(RedisBackend redis) {
        return TokenBucketRateLimiter.builder(BucketPolicy.perSecond(3, 1)).redis(new HostAndPort(redis.host(), redis.port())).build();
    }

    private static Function<HttpExchange, String> apiKeyBucket(LabNamespace namespace) {
        return exchange -> namespace.redisKey("http", exchange.getRequestHeaders().getFirst("X-Api-Key"));
    }
}
