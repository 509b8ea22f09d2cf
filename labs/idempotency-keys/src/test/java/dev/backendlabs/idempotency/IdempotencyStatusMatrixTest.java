package dev.backendlabs.idempotency;

import dev.backendlabs.idempotency.IdempotencyKeysFixture.Service;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.PAYMENT;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The IETF Idempotency-Key draft's scenarios, one test each, over HTTP: first request, retry after
 * completion, retry while in flight, reuse with another payload, missing key; plus the two spellings
 * of a key and bodies that differ only in spelling.
 */
@Lab
class IdempotencyStatusMatrixTest {

    @BeforeEach
    void emptyTables() {
        IdempotencyKeysFixture.truncate();
    }

    @Test
    void firstPostIs201AndARetryReplaysItsStatusBodyBytesAndAllowListedHeaders() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            String key = UUID.randomUUID().toString();
            HttpResponse<String> first = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);
            HttpResponse<String> retry = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);

            assertThat(first.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(first)).isFalse();
            assertThat(first.headers().firstValue("Location"))
                    .hasValueSatisfying(location -> assertThat(location).startsWith("/payments/"));
            assertThat(retry.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(retry)).isTrue();
            assertThat(retry.body()).isEqualTo(first.body());
            assertThat(retry.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
            assertThat(retry.headers().firstValue("Content-Type")).isEqualTo(first.headers().firstValue("Content-Type"));
            assertThat(IdempotencyKeysFixture.charges(provider)).isEqualTo(1);
        }
    }

    @Test
    void aRetryWhileTheFirstIsInFlightGets409WithRetryAfter() throws Exception {
        CountDownLatch claimed = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        PaymentHooks holdAfterClaim = step -> {
            if (step == PaymentHooks.Step.CLAIMED && claimed.getCount() == 1) {
                claimed.countDown();
                proceed.await(10, TimeUnit.SECONDS);
            }
        };
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options.hooks(holdAfterClaim))) {
            String key = UUID.randomUUID().toString();
            CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> post(service, key, PAYMENT),
                    Thread.ofVirtual()::start);
            assertThat(claimed.await(10, TimeUnit.SECONDS)).as("the first request claimed the key").isTrue();

            HttpResponse<String> duringFirst = post(service, key, PAYMENT);
            proceed.countDown();
            HttpResponse<String> firstAnswer = first.get(10, TimeUnit.SECONDS);
            HttpResponse<String> afterFirst = post(service, key, PAYMENT);

            assertThat(duringFirst.statusCode()).isEqualTo(409);
            assertThat(duringFirst.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(duringFirst.headers().firstValue("Content-Type")).hasValue(ApiResponse.PROBLEM_JSON);
            assertThat(firstAnswer.statusCode()).isEqualTo(201);
            assertThat(afterFirst.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(afterFirst)).isTrue();
            assertThat(IdempotencyKeysFixture.charges(provider)).isEqualTo(1);
        }
    }

    @Test
    void theSameKeyWithAnotherPayloadGets422AndChargesNothing() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            String key = UUID.randomUUID().toString();
            HttpResponse<String> first = post(service, key, PAYMENT);
            HttpResponse<String> other = post(service, key, PAYMENT.replace("1250", "9999"));

            assertThat(first.statusCode()).isEqualTo(201);
            assertThat(other.statusCode()).isEqualTo(422);
            assertThat(other.headers().firstValue("Content-Type")).hasValue(ApiResponse.PROBLEM_JSON);
            assertThat(other.body()).contains("/problems/idempotency-key-reused");
            assertThat(IdempotencyKeysFixture.charges(provider)).isEqualTo(1);
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payments")).isEqualTo(1);
        }
    }

    @Test
    void aPostWithoutAKeyGets400AndStoresNothing() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            HttpResponse<String> response = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, null, PAYMENT);

            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(response.body()).contains("/problems/idempotency-key-missing");
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM idempotency_keys")).isZero();
            assertThat(provider.stats(IdempotencyKeysFixture.CHARGES).arrivals()).isZero();
        }
    }

    @Test
    void theBareAndTheQuotedSpellingOfAKeyAreOneKey() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            String key = UUID.randomUUID().toString();
            HttpResponse<String> bare = post(service, key, PAYMENT);
            HttpResponse<String> quoted = post(service, "\"" + key + "\"", PAYMENT);

            assertThat(bare.statusCode()).isEqualTo(201);
            assertThat(quoted.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(quoted)).isTrue();
            assertThat(IdempotencyKeysFixture.charges(provider)).isEqualTo(1);
        }
    }

    @Test
    void bodiesThatDifferOnlyInPropertyOrderAndWhitespaceAreOneRequest() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            String key = UUID.randomUUID().toString();
            HttpResponse<String> first = post(service, key, PAYMENT);
            HttpResponse<String> reordered = post(service, key, "{\"destination\":\"acct_42\",\n  \"currency\":\"EUR\",\"amount\":1250}");

            assertThat(first.statusCode()).isEqualTo(201);
            assertThat(reordered.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(reordered)).isTrue();
            assertThat(IdempotencyKeysFixture.charges(provider)).isEqualTo(1);
        }
    }

    private static HttpResponse<String> post(Service service, String key, String body) {
        try {
            return IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
