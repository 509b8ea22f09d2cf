package dev.backendlabs.circuitbreaker;

import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.Dependency;
import dev.backendlabs.shared.http.DownstreamClient;
import dev.backendlabs.shared.junit.Lab;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.backendlabs.circuitbreaker.CircuitBreakerFixture.WORKERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The caller's contract over real HTTP, with {@link CircuitBreakerQuoteClient} behind {@link QuoteServer}: what a user gets
 * for a good request, a bad one, a request while the breaker is open, and one the dependency never answers.
 */
@Lab
class QuoteServerContractTest {

    /**
     * Generous: these tests are about answers, not speed, and the first call of a cold JVM on a busy machine was measured
     * above 200 ms. The hung dependency's test only needs the time limit well below the client timeout.
     */
    private static final Duration TIME_LIMIT = Duration.ofSeconds(2);
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(8);
    private static final Duration PATIENCE = Duration.ofSeconds(15);

    @Test
    void aQuoteIsRelayedAndTheCatalogAnswersOnItsOwn() throws Exception {
        try (Dependency dependency = Dependency.start();
             CircuitBreakerQuoteClient client = client(dependency);
             QuoteServer server = QuoteServer.start(client, WORKERS);
             DownstreamClient users = DownstreamClient.create(PATIENCE)) {
            HttpResponse<String> quote = users.get(server.uri("/quote?sku=BOOK-42"), Map.of(), PATIENCE);
            dependency.proxy().reset();
            HttpResponse<String> catalog = users.get(server.uri("/health-of-catalog"), Map.of(), PATIENCE);

            assertThat(quote.statusCode()).isEqualTo(200);
            assertThat(quote.body()).as("the dependency's answer, relayed").contains("\"route\":\"/quote\"");
            assertThat(catalog.statusCode()).as("with the dependency unreachable").isEqualTo(200);
            assertThat(catalog.body()).isEqualTo(QuoteServer.CATALOG_HEALTH);
        }
    }

    @Test
    void aBadRequestGetsA4xxAndTouchesNeitherTheDependencyNorTheGuards() throws Exception {
        try (Dependency dependency = Dependency.start();
             CircuitBreakerQuoteClient client = client(dependency);
             QuoteServer server = QuoteServer.start(client, WORKERS);
             DownstreamClient users = DownstreamClient.create(PATIENCE)) {
            List<String> queries = List.of("", "?sku=", "?sku=book-1", "?sku=BOOK%201", "?sku=%F0%9F%92%A5", "?sku=" + "A".repeat(33),
                    "?other=BOOK-1");
            for (String query : queries) {
                HttpResponse<String> response = users.get(server.uri("/quote" + query), Map.of(), PATIENCE);
                assertThat(response.statusCode()).as("/quote%s", query).isEqualTo(400);
                assertThat(response.body()).as("/quote%s", query).contains("A SKU is 1 to 32 characters");
            }

            HttpResponse<String> post = users.post(server.uri("/quote?sku=BOOK-1"), "{}", Map.of(), PATIENCE);
            HttpResponse<String> unknown = users.get(server.uri("/quotes?sku=BOOK-1"), Map.of(), PATIENCE);
            assertThat(post.statusCode()).as("POST /quote").isEqualTo(405);
            assertThat(unknown.statusCode()).as("GET /quotes").isEqualTo(404);

            assertThat(dependency.arrivals()).as("calls to the dependency").isZero();
            assertThat(client.guards().breaker().getMetrics().getNumberOfBufferedCalls()).as("calls the breaker counted").isZero();
            assertThat(client.guards().retry().getMetrics().getNumberOfTotalCalls()).as("calls the retry saw").isZero();
        }
    }

    @Test
    void badSettingsAreRejectedBeforeAnythingStarts() {
        assertThatThrownBy(() -> GuardSettings.of(Duration.ZERO, 8, Duration.ofSeconds(10), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeLimit must be positive");
        assertThatThrownBy(() -> GuardSettings.of(Duration.ofSeconds(1), 0, Duration.ofSeconds(10), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxConcurrentCalls must be >= 1");
        assertThatThrownBy(() -> GuardSettings.of(Duration.ofSeconds(1), 8, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("waitInOpenState must be positive");
        assertThatThrownBy(() -> GuardSettings.of(Duration.ofSeconds(1), 8, Duration.ofSeconds(10), Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retryWait must be >= 0");
        assertThatThrownBy(() -> new TimeoutOnlyQuoteClient(java.net.URI.create("http://127.0.0.1:1/quote"), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("request timeout must be positive");
        try (TimeoutOnlyQuoteClient client = new TimeoutOnlyQuoteClient(java.net.URI.create("http://127.0.0.1:1/quote"), CLIENT_TIMEOUT)) {
            assertThatThrownBy(() -> QuoteServer.start(client, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("workers must be >= 1");
        }
    }

    @Test
    void whileOpenEachRequestIsRejectedOnceWithoutACallOrARetry() throws Exception {
        try (Dependency dependency = Dependency.start();
             CircuitBreakerQuoteClient client = client(dependency);
             QuoteServer server = QuoteServer.start(client, WORKERS);
             DownstreamClient users = DownstreamClient.create(PATIENCE)) {
            CircuitBreaker breaker = client.guards().breaker();
            AtomicInteger rejections = new AtomicInteger();
            breaker.getEventPublisher().onCallNotPermitted(event -> rejections.incrementAndGet());
            breaker.transitionToOpenState();
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> response = users.get(server.uri("/quote?sku=BOOK-1"), Map.of(), PATIENCE);
                assertThat(response.statusCode()).isEqualTo(503);
                assertThat(response.body()).isEqualTo("quote unavailable: BREAKER_OPEN");
            }

            Retry.Metrics retries = client.guards().retry().getMetrics();
            assertThat(dependency.arrivals()).as("calls to the dependency").isZero();
            assertThat(rejections.get()).as("rejections: one per request").isEqualTo(10);
            assertThat(retries.getNumberOfFailedCallsWithoutRetryAttempt()).as("requests failed without a retry").isEqualTo(10);
            assertThat(retries.getNumberOfFailedCallsWithRetryAttempt()).as("requests retried").isZero();
        }
    }

    @Test
    void aHungDependencyIsCutByTheTimeLimiterNotByTheClientTimeout() throws Exception {
        try (Dependency dependency = Dependency.start();
             CircuitBreakerQuoteClient client = client(dependency);
             QuoteServer server = QuoteServer.start(client, WORKERS);
             DownstreamClient users = DownstreamClient.create(PATIENCE)) {
            dependency.proxy().blackhole();
            HttpResponse<String> response = users.get(server.uri("/quote?sku=BOOK-1"), Map.of(), PATIENCE);

            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(response.body()).as("the time limiter (" + TIME_LIMIT.toMillis() + " ms) fired, not the client timeout ("
                    + CLIENT_TIMEOUT.toMillis() + " ms)").isEqualTo("quote unavailable: TIME_LIMIT");
            assertThat(client.blocked().current()).as("no worker is left waiting").isZero();
        }
    }

    private static CircuitBreakerQuoteClient client(Dependency dependency) {
        GuardSettings settings = new GuardSettings(TIME_LIMIT, 8, IntervalFunction.of(Duration.ofMinutes(1)), Duration.ZERO);
        return new CircuitBreakerQuoteClient(dependency.quotes(), CLIENT_TIMEOUT, QuoteGuards.of("quotes", settings));
    }
}
