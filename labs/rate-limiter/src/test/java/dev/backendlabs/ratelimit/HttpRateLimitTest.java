package dev.backendlabs.ratelimit;

import com.sun.net.httpserver.HttpServer;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** A real HTTP round trip: the JDK's HttpServer with {@link RateLimitingFilter}, called by its HttpClient. */
@Lab("rate-limiter")
class HttpRateLimitTest {

    @Test
    void fourthRequestGets429WithRetryAfterAndRateLimitHeaders(RedisBackend redis, LabNamespace namespace) throws Exception {
        String apiKey = UUID.randomUUID().toString();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        try (TokenBucketRateLimiter limiter = TokenBucketRateLimiter.builder(BucketPolicy.perSecond(3, 1))
                .redis(new HostAndPort(redis.host(), redis.port())).build();
             HttpClient client = HttpClient.newHttpClient()) {
            server.createContext("/orders", exchange -> {
                byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            }).getFilters().add(new RateLimitingFilter(limiter,
                    exchange -> namespace.redisKey("http", exchange.getRequestHeaders().getFirst("X-Api-Key"))));
            server.start();
            URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/orders");

            List<HttpResponse<String>> responses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                responses.add(client.send(HttpRequest.newBuilder(uri).header("X-Api-Key", apiKey).build(),
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
        } finally {
            server.stop(0);
        }
    }
}
