package dev.backendlabs.shared.http;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.backendlabs.shared.http.DownstreamFixture.PATIENT;
import static dev.backendlabs.shared.http.DownstreamFixture.awaitUntil;
import static dev.backendlabs.shared.http.DownstreamFixture.client;
import static org.assertj.core.api.Assertions.assertThat;

class DownstreamIdempotencyTest {

    private static final Map<String, String> PAYMENT_1 = Map.of(Downstream.IDEMPOTENCY_KEY, "payment-1");

    @Test
    void withoutIdempotencyEveryRequestWithTheSameKeyExecutes() throws Exception {
        try (Downstream provider = Downstream.builder().route("/charge").start(); DownstreamClient client = client()) {
            URI uri = provider.uri("/charge");
            HttpResponse<String> first = client.post(uri, "{}", PAYMENT_1, PATIENT);
            HttpResponse<String> retry = client.post(uri, "{}", PAYMENT_1, PATIENT);
            client.post(uri, "{}", PAYMENT_1, PATIENT);

            assertThat(provider.executions("payment-1")).as("charged three times").isEqualTo(3);
            assertThat(retry.body()).isNotEqualTo(first.body());
            assertThat(retry.headers().firstValue(Downstream.IDEMPOTENT_REPLAYED)).isEmpty();
            assertThat(provider.executions("payment-2")).isZero();
        }
    }

    @Test
    void anIdempotentProviderReplaysTheFirstAnswerWithoutExecutingAgain() throws Exception {
        try (Downstream provider = Downstream.builder().route("/charge").start(); DownstreamClient client = client()) {
            URI uri = provider.uri("/charge");
            provider.idempotent(true);
            HttpResponse<String> first = client.post(uri, "{}", PAYMENT_1, PATIENT);
            HttpResponse<String> retry = client.post(uri, "{}", PAYMENT_1, PATIENT);
            HttpResponse<String> other = client.post(uri, "{}", Map.of(Downstream.IDEMPOTENCY_KEY, "payment-2"), PATIENT);

            assertThat(provider.executions("payment-1")).isEqualTo(1);
            assertThat(retry.statusCode()).isEqualTo(200);
            assertThat(retry.body()).isEqualTo(first.body()).contains("\"request\":1");
            assertThat(retry.headers().firstValue(Downstream.IDEMPOTENT_REPLAYED)).hasValue("true");
            assertThat(first.headers().firstValue(Downstream.IDEMPOTENT_REPLAYED)).isEmpty();
            assertThat(other.body()).as("another key executes").contains("\"request\":3");
            assertThat(provider.executions("payment-2")).isEqualTo(1);
            assertThat(provider.stats("/charge").replayed()).isEqualTo(1);
        }
    }

    @Test
    void aRetryWhileTheFirstRequestIsStillInProgressGets409() throws Exception {
        try (Downstream provider = Downstream.builder().route("/charge").start(); DownstreamClient client = client();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            URI uri = provider.uri("/charge");
            provider.idempotent(true).latency(Latency.fixed(Duration.ofMillis(300)));
            Future<HttpResponse<String>> first = callers.submit(() -> client.post(uri, "{}", PAYMENT_1, PATIENT));
            awaitUntil("the first request is in progress", () -> provider.stats("/charge").inFlight() == 1);

            assertThat(client.post(uri, "{}", PAYMENT_1, PATIENT).statusCode()).isEqualTo(409);
            assertThat(first.get().statusCode()).isEqualTo(200);
            assertThat(client.post(uri, "{}", PAYMENT_1, PATIENT).body()).isEqualTo(first.get().body());
            assertThat(provider.executions("payment-1")).isEqualTo(1);
            RouteStats stats = provider.stats("/charge");
            assertThat(stats.conflicts()).isEqualTo(1);
            assertThat(stats.replayed()).isEqualTo(1);
        }
    }

    @Test
    void aRequestThatDidNoWorkLeavesItsKeyFreeForTheRetry() throws Exception {
        try (Downstream provider = Downstream.builder().route("/charge").start(); DownstreamClient client = client()) {
            URI uri = provider.uri("/charge");
            provider.idempotent(true).errors(503, 1.0);
            assertThat(client.post(uri, "{}", PAYMENT_1, PATIENT).statusCode()).isEqualTo(503);
            assertThat(provider.executions("payment-1")).isZero();

            provider.clearFaults();
            HttpResponse<String> retry = client.post(uri, "{}", PAYMENT_1, PATIENT);
            assertThat(retry.statusCode()).isEqualTo(200);
            assertThat(retry.headers().firstValue(Downstream.IDEMPOTENT_REPLAYED)).as("executed, not a replay of the 503").isEmpty();
            assertThat(provider.executions("payment-1")).isEqualTo(1);
        }
    }

    @Test
    void workDoneForATimedOutRequestIsReplayedToItsRetry() throws Exception {
        try (Downstream provider = Downstream.builder().route("/charge").start(); DownstreamClient client = client();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            URI uri = provider.uri("/charge");
            provider.idempotent(true).latency(Latency.fixed(Duration.ofMillis(200))).capacity(1, 1, Duration.ofMillis(50));
            callers.submit(() -> client.post(uri, "{}", Map.of(), PATIENT));
            awaitUntil("another payment holds the worker", () -> provider.stats("/charge").inFlight() == 1);

            HttpResponse<String> lost = client.post(uri, "{}", PAYMENT_1, PATIENT);
            assertThat(lost.statusCode()).as("waited past the queue timeout, charged anyway").isEqualTo(503);
            assertThat(provider.executions("payment-1")).isEqualTo(1);

            HttpResponse<String> retry = client.post(uri, "{}", PAYMENT_1, PATIENT);
            assertThat(retry.statusCode()).isEqualTo(200);
            assertThat(retry.headers().firstValue(Downstream.IDEMPOTENT_REPLAYED)).hasValue("true");
            assertThat(provider.executions("payment-1")).as("the retry learns the result instead of charging again").isEqualTo(1);
        }
    }
}
