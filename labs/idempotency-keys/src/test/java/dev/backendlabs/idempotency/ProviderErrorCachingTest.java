package dev.backendlabs.idempotency;

import dev.backendlabs.idempotency.IdempotencyKeysFixture.Service;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.http.Latency;
import dev.backendlabs.shared.http.Outage;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.PAYMENT;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Which answers a key keeps: a declined card is final and replayed; a provider failure or timeout
 * releases the key, so the client's retry with the same key runs again (and, with a provider that
 * honours keys, learns the outcome of a charge that timed out); "store everything" replays the
 * failure, as Stripe does.
 */
@Lab
class ProviderErrorCachingTest {

    @BeforeEach
    void emptyTables() {
        IdempotencyKeysFixture.truncate();
    }

    @Test
    void aDeclinedCardIsStoredAndReplayedAs402() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            String key = UUID.randomUUID().toString();
            String declined = PAYMENT.replace("acct_42", IdempotencyKeysFixture.DECLINED_DESTINATION);
            HttpResponse<String> first = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, declined);
            HttpResponse<String> retry = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, declined);

            assertThat(first.statusCode()).isEqualTo(402);
            assertThat(first.headers().firstValue("Content-Type")).hasValue(ApiResponse.PROBLEM_JSON);
            assertThat(retry.statusCode()).isEqualTo(402);
            assertThat(IdempotencyKeysFixture.replayed(retry)).isTrue();
            assertThat(retry.body()).isEqualTo(first.body());
            assertThat(IdempotencyKeysFixture.charges(provider)).as("the refusal is not asked again").isEqualTo(1);
        }
    }

    @Test
    void aProviderFailureReleasesTheKeyAndTheRetryWithTheSameKeyCharges() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            String key = UUID.randomUUID().toString();
            provider.errors(503, 1.0);
            HttpResponse<String> failed = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);

            assertThat(failed.statusCode()).isEqualTo(502);
            assertThat(IdempotencyKeysFixture.count(
                    "SELECT count(*) FROM idempotency_keys WHERE locked_until IS NULL AND recovery_point = 'started'"))
                    .as("the key is released, not finished").isEqualTo(1);

            provider.clearFaults();
            HttpResponse<String> retry = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);
            assertThat(retry.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(retry)).isFalse();
            assertThat(IdempotencyKeysFixture.charges(provider)).isEqualTo(1);
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payments")).isEqualTo(1);
        }
    }

    @Test
    void aProviderTimeoutReleasesTheKeyAndTheRetryLearnsTheChargeUnderTheSameProviderKey() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options.providerTimeout(Duration.ofMillis(100)))) {
            provider.idempotent(true).latency(Latency.fixed(Duration.ofMillis(400)));
            String key = UUID.randomUUID().toString();
            HttpResponse<String> timedOut = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);
            assertThat(timedOut.statusCode()).isEqualTo(504);

            // The provider finishes the charge it was asked for, although nobody waits for its answer any more.
            await().atMost(Duration.ofSeconds(5)).until(() -> provider.stats(IdempotencyKeysFixture.CHARGES).inFlight() == 0);
            provider.latency(Latency.none());
            HttpResponse<String> retry = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);

            assertThat(retry.statusCode()).isEqualTo(201);
            assertThat(provider.executions(service.payments().providerKey(IdempotencyKeysFixture.keyId(key)))).as("charges").isEqualTo(1);
            assertThat(provider.stats(IdempotencyKeysFixture.CHARGES).replayed()).as("the retry was answered from the provider's own key")
                    .isEqualTo(1);
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payments")).isEqualTo(1);
        }
    }

    /**
     * The provider hangs (it accepts the call and never answers until the outage is cleared). Each attempt ends at the
     * provider client's 100 ms deadline with a 504 and releases the key, so the client's next retry runs at once
     * instead of waiting out the 30 s lease; once the provider answers again, the held calls and the retry are one
     * charge under the one provider key.
     */
    @Test
    void aHungProviderAnswers504AndReleasesTheKeyAndOnceItRecoversTheRetryChargesOnce() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options.providerTimeout(Duration.ofMillis(100)))) {
            provider.idempotent(true).outage(Outage.hang());
            String key = UUID.randomUUID().toString();
            HttpResponse<String> first = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);
            HttpResponse<String> retryDuringTheHang = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);

            assertThat(first.statusCode()).isEqualTo(504);
            assertThat(retryDuringTheHang.statusCode()).as("the retry ran again (a 409 would mean the key stayed leased)").isEqualTo(504);
            assertThat(IdempotencyKeysFixture.count(
                    "SELECT count(*) FROM idempotency_keys WHERE locked_until IS NULL AND recovery_point = 'started'"))
                    .as("the key is released, not finished").isEqualTo(1);
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payments")).isZero();

            provider.clearOutage();
            await().atMost(Duration.ofSeconds(5)).until(() -> provider.stats(IdempotencyKeysFixture.CHARGES).inFlight() == 0);
            HttpResponse<String> retry = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);

            assertThat(retry.statusCode()).isEqualTo(201);
            assertThat(provider.executions(service.payments().providerKey(IdempotencyKeysFixture.keyId(key)))).as("charges").isEqualTo(1);
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payments")).isEqualTo(1);
        }
    }

    @Test
    void storeEverythingReplaysTheProviderFailureLikeStripe() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options.caching(ErrorCaching.STORE_EVERYTHING))) {
            String key = UUID.randomUUID().toString();
            provider.errors(503, 1.0);
            HttpResponse<String> failed = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);
            provider.clearFaults();
            HttpResponse<String> retry = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);

            assertThat(failed.statusCode()).isEqualTo(502);
            assertThat(retry.statusCode()).isEqualTo(502);
            assertThat(IdempotencyKeysFixture.replayed(retry)).isTrue();
            assertThat(retry.body()).isEqualTo(failed.body());
            assertThat(provider.stats(IdempotencyKeysFixture.CHARGES).arrivals()).as("the retry never reached the provider").isEqualTo(1);
        }
    }
}
