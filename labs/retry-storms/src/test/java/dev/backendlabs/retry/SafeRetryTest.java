package dev.backendlabs.retry;

import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.http.Latency;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What {@link HopClient} retries and what it never does, against a real HTTP dependency: a 4xx is an answer, a POST is
 * repeated only under an idempotency key, an open breaker is not retried, and a retry the budget refuses ends the call
 * at once with the dependency's own error.
 */
@Lab
class SafeRetryTest {

    /** For calls that expect an answer: far above any pause of a busy machine. */
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(2);
    /**
     * For calls whose answers must be lost: long enough for the request to reach the dependency on a busy machine (at
     * 150 ms, one in about ten runs timed out before the request arrived), shorter than its work.
     */
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);
    /** Longer than the short timeout, so every attempt's answer is lost, as a response is on a dropped connection. */
    private static final Duration SLOW = Duration.ofMillis(800);

    private static HttpClient http;
    private static Downstream dependency;

    @BeforeAll
    static void start() {
        http = RetryStormsFixture.httpClient();
        dependency = Downstream.builder().seed(5)
                .route("/charge")
                .route("/missing", request -> Downstream.Response.error(404, "no such order"))
                .start();
    }

    @AfterEach
    void resetDependency() {
        await().atMost(Duration.ofSeconds(5)).until(() -> dependency.stats("/charge").inFlight() == 0);
        dependency.reset();
    }

    @AfterAll
    static void stop() {
        dependency.close();
        http.close();
    }

    @Test
    void aClientErrorIsAnAnswerAndIsNotRetried() throws Exception {
        HopClient client = HopClient.of(http, ATTEMPT_TIMEOUT, fourAttempts(new UnlimitedRetries()));

        HttpResponse<String> answer = client.get(dependency.uri("/missing"));

        assertThat(answer.statusCode()).isEqualTo(404);
        assertThat(dependency.stats("/missing").arrivals()).isEqualTo(1);
    }

    @Test
    void aPostWithoutAnIdempotencyKeyIsSentOnceWhileTheNaiveClientChargesFourTimes(LabReport report) throws Exception {
        dependency.latency(Latency.fixed(SLOW));
        HopClient safe = HopClient.of(http, SHORT_TIMEOUT, fourAttempts(new UnlimitedRetries()));
        HopClient naive = HopClient.retryingEveryPost(http, SHORT_TIMEOUT, fourAttempts(new UnlimitedRetries()));

        assertThatThrownBy(() -> naive.post(dependency.uri("/charge"), "{\"cents\": 500}", Map.of()))
                .isInstanceOf(HttpTimeoutException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> dependency.stats("/charge").inFlight() == 0);
        long naiveCharges = dependency.stats("/charge").executed();
        dependency.reset().latency(Latency.fixed(SLOW));
        assertThatThrownBy(() -> safe.post(dependency.uri("/charge"), "{\"cents\": 500}", Map.of()))
                .isInstanceOf(HttpTimeoutException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> dependency.stats("/charge").inFlight() == 0);
        long safeCharges = dependency.stats("/charge").executed();

        report.metric("naive_post_executions", naiveCharges, "charges",
                "Times a POST without an Idempotency-Key was executed when every answer was lost and the client retried it (4 attempts).");
        assertThat(naiveCharges).as("the naive client repeated a charge whose outcome it did not know").isGreaterThan(1);
        assertThat(safeCharges).isEqualTo(1);
    }

    @Test
    void aPostWithAnIdempotencyKeyIsRetriedAndExecutedOnce() throws Exception {
        dependency.idempotent(true).latency(Latency.fixed(SLOW));
        // A fixed wait longer than the lost first attempt, so the retry finds its answer stored rather than in progress (409).
        RetryPolicy policy = RetryPolicy.builder("charge").maxAttempts(4).backoff(new FixedBackoff(SLOW), new Random(1)).build();
        HopClient client = HopClient.of(http, SHORT_TIMEOUT, policy);

        HttpResponse<String> answer = client.post(dependency.uri("/charge"), "{\"cents\": 500}",
                Map.of(HopClient.IDEMPOTENCY_KEY, "order-7"));

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue(Downstream.IDEMPOTENT_REPLAYED)).contains("true");
        assertThat(dependency.executions("order-7")).isEqualTo(1);
        // 2 unless the replayed answer itself took longer than the short timeout on a busy machine: then one more replay.
        assertThat(dependency.stats("/charge").arrivals()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void anOpenBreakerFailsTheCallWithoutReachingTheDependency() {
        CircuitBreaker breaker = CircuitBreaker.ofDefaults("charge");
        breaker.transitionToOpenState();
        HopClient client = HopClient.of(http, ATTEMPT_TIMEOUT,
                RetryPolicy.builder("charge").maxAttempts(4).circuitBreaker(breaker).build());

        assertThatThrownBy(() -> client.get(dependency.uri("/charge"))).isInstanceOf(CallNotPermittedException.class);
        assertThat(dependency.stats("/charge").arrivals()).isZero();
    }

    @Test
    void aRetryTheBudgetRefusesEndsTheCallAtOnceWithTheDependencysError() throws Exception {
        dependency.errors(503, 1.0);
        RetryBudget budget = new RetryBudget(1, 0.1);
        // A 1 s wait before every retry: a refused retry must not wait it.
        HopClient client = HopClient.of(http, ATTEMPT_TIMEOUT,
                RetryPolicy.builder("charge").maxAttempts(4).backoff(new FixedBackoff(Duration.ofSeconds(1)), new Random(1))
                        .allowance(budget).build());

        assertThatThrownBy(() -> client.get(dependency.uri("/charge"))).isInstanceOf(RetryableStatusException.class)
                .hasMessageContaining("503");
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.get(dependency.uri("/charge"))).isInstanceOf(RetryableStatusException.class)
                .hasMessageContaining("503");
        Duration refused = Duration.ofNanos(System.nanoTime() - start);

        assertThat(dependency.stats("/charge").arrivals()).as("1 + the one token's retry, then 1").isEqualTo(3);
        assertThat(budget.retriesGranted()).isEqualTo(1);
        assertThat(budget.retriesDenied()).isEqualTo(2);
        assertThat(refused).as("one attempt, no wait").isLessThan(Duration.ofMillis(500));
    }

    @Test
    void badSettingsAndArgumentsAreRefusedBeforeAnyRequest() {
        RetryPolicy policy = fourAttempts(new UnlimitedRetries());
        HopClient client = HopClient.of(http, ATTEMPT_TIMEOUT, policy);

        assertThatThrownBy(() -> HopClient.of(http, Duration.ZERO, policy)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("attemptTimeout");
        assertThatThrownBy(() -> RetryPolicy.builder(" ")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> RetryPolicy.builder("x").maxAttempts(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxAttempts");
        assertThatThrownBy(() -> RetryPolicy.builder("x").maxAttempts(11)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxAttempts");
        assertThatThrownBy(() -> client.get((URI) null)).isInstanceOf(NullPointerException.class).hasMessageContaining("uri");
        assertThatThrownBy(() -> client.post(dependency.uri("/charge"), null, Map.of())).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("body");
        assertThat(dependency.stats("/charge").arrivals()).isZero();
    }

    private static RetryPolicy fourAttempts(RetryAllowance allowance) {
        return RetryPolicy.builder("charge").maxAttempts(4).backoff(new FullJitterBackoff(Duration.ofMillis(10), Duration.ofMillis(50)),
                new Random(1)).allowance(allowance).build();
    }
}
