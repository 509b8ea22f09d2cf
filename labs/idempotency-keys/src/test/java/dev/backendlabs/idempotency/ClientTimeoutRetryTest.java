package dev.backendlabs.idempotency;

import dev.backendlabs.idempotency.IdempotencyKeysFixture.Service;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.http.Latency;
import dev.backendlabs.shared.junit.Lab;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.PAYMENT;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The everyday retry: the client gives up after 100 ms, the provider takes 300 ms, and the client
 * retries with the same key every 50 ms (on a timeout, a 409 or a 503) until it has an answer. Its
 * first request is still charging when the retries arrive. Both handlers face this client.
 */
@Lab
class ClientTimeoutRetryTest {

    private static final Duration CLIENT_TIMEOUT = Duration.ofMillis(100);
    private static final Duration PROVIDER_LATENCY = Duration.ofMillis(300);

    @BeforeEach
    void emptyTables() {
        IdempotencyKeysFixture.truncate();
    }

    @Test
    void aClientRetryingAfterItsTimeoutIsChargedAgainByCheckThenInsert() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider(); Service naive = IdempotencyKeysFixture.naiveService(provider)) {
            provider.latency(Latency.fixed(PROVIDER_LATENCY));
            HttpResponse<String> answer = impatientClient(naive.paymentsUri(), UUID.randomUUID().toString());

            assertThat(answer.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.charges(provider)).as("charges for one payment").isGreaterThan(1);
        }
    }

    @Test
    void aClientRetryingAfterItsTimeoutIsChargedOnceWithAnAtomicClaim() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            provider.latency(Latency.fixed(PROVIDER_LATENCY));
            HttpResponse<String> answer = impatientClient(service.paymentsUri(), UUID.randomUUID().toString());

            assertThat(answer.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(answer)).as("the answer of the first request, which the client never saw").isTrue();
            assertThat(IdempotencyKeysFixture.charges(provider)).as("charges for one payment").isEqualTo(1);
        }
    }

    private static HttpResponse<String> impatientClient(URI uri, String key) throws Exception {
        Retry retry = Retry.of("impatient", RetryConfig.<HttpResponse<String>>custom().maxAttempts(40).waitDuration(Duration.ofMillis(50))
                .retryExceptions(IOException.class)
                .retryOnResult(response -> response.statusCode() == 409 || response.statusCode() == 503)
                .build());
        return Retry.decorateCallable(retry, () -> IdempotencyKeysFixture.send(
                IdempotencyKeysFixture.request(uri, TENANT, key, PAYMENT).timeout(CLIENT_TIMEOUT).build())).call();
    }
}
