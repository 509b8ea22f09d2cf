package dev.backendlabs.idempotency;

import com.fasterxml.jackson.databind.JsonNode;
import dev.backendlabs.idempotency.IdempotencyKeysFixture.Service;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.PAYMENT;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input gets a typed {@code application/problem+json} answer before anything touches the
 * database or the provider, on {@code /payments} and on the fast path's {@code /payment-intents}:
 * after every test, no key, no payment, no intent and no provider call.
 */
@Lab
class PaymentBadInputTest {

    private Downstream provider;
    private Service service;

    @BeforeEach
    void start() {
        IdempotencyKeysFixture.truncate();
        provider = IdempotencyKeysFixture.provider();
        service = IdempotencyKeysFixture.service(provider, options -> options);
    }

    @AfterEach
    void nothingWasStoredOrCharged() {
        try {
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM idempotency_keys")).as("keys").isZero();
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payments")).as("payments").isZero();
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payment_intents")).as("payment intents").isZero();
            assertThat(provider.stats(IdempotencyKeysFixture.CHARGES).arrivals()).as("provider calls").isZero();
        } finally {
            service.close();
            provider.close();
        }
    }

    @Test
    void aBodyOverTheLimitGets400() throws Exception {
        String padded = PAYMENT.replace("}", " ".repeat(PaymentPost.MAX_BODY_BYTES) + "}");
        assertProblem(post(UUID.randomUUID().toString(), padded), 400, "body-too-large");
    }

    @Test
    void malformedKeysGet400() throws Exception {
        for (String key : new String[] {"", "\"\"", "a".repeat(IdempotencyKeyHeader.MAX_LENGTH + 1), "key with spaces", "k\u00e9y",
                "\"unterminated", "a,b", "\"esc\\\"aped\""}) {
            assertProblem(post(key, PAYMENT), 400, "idempotency-key-malformed");
        }
    }

    @Test
    void twoKeyHeadersGet400() throws Exception {
        HttpRequest twoKeys = IdempotencyKeysFixture.request(service.paymentsUri(), TENANT, "first", PAYMENT)
                .header(IdempotencyKeyHeader.NAME, "second").build();
        assertProblem(IdempotencyKeysFixture.send(twoKeys), 400, "idempotency-key-malformed");
    }

    @Test
    void malformedJsonGets400() throws Exception {
        for (String body : new String[] {"{\"amount\": 1250,", "not json",
                "{\"amount\": 1, \"amount\": 2, \"currency\": \"EUR\", \"destination\": \"a\"}",
                "{\"amount\": 1250, \"currency\": \"EUR\", \"destination\": \"acct_42\"} trailing"}) {
            assertProblem(post(UUID.randomUUID().toString(), body), 400, "malformed-json");
        }
    }

    @Test
    void aPaymentThatBreaksTheRulesGets400() throws Exception {
        for (String body : new String[] {"[]", "{\"amount\": \"1250\", \"currency\": \"EUR\", \"destination\": \"acct_42\"}",
                "{\"amount\": 12.5, \"currency\": \"EUR\", \"destination\": \"acct_42\"}",
                "{\"amount\": 0, \"currency\": \"EUR\", \"destination\": \"acct_42\"}",
                "{\"amount\": 1250, \"currency\": \"eur\", \"destination\": \"acct_42\"}",
                "{\"amount\": 1250, \"currency\": \"EUR\"}",
                "{\"amount\": 1250, \"currency\": \"EUR\", \"destination\": \"acct_42\", \"note\": \"x\"}"}) {
            assertProblem(post(UUID.randomUUID().toString(), body), 400, "invalid-payment");
        }
    }

    @Test
    void theFastPathRefusesBadInputTheSameWay() throws Exception {
        assertProblem(IdempotencyKeysFixture.post(service.intentsUri(), TENANT, "key with spaces", PAYMENT), 400,
                "idempotency-key-malformed");
        assertProblem(IdempotencyKeysFixture.post(service.intentsUri(), TENANT, UUID.randomUUID().toString(), "not json"), 400,
                "malformed-json");
        assertProblem(IdempotencyKeysFixture.post(service.intentsUri(), TENANT, null, PAYMENT), 400, "idempotency-key-missing");
    }

    @Test
    void aRequestWithoutATenantGets401() throws Exception {
        HttpRequest anonymous = HttpRequest.newBuilder(service.paymentsUri())
                .header(IdempotencyKeyHeader.NAME, UUID.randomUUID().toString())
                .POST(HttpRequest.BodyPublishers.ofString(PAYMENT)).build();
        assertProblem(IdempotencyKeysFixture.send(anonymous), 401, "tenant-missing");
    }

    @Test
    void aGetGets405WithAllow() throws Exception {
        HttpResponse<String> response = IdempotencyKeysFixture.send(HttpRequest.newBuilder(service.paymentsUri())
                .header(PaymentPost.TENANT_HEADER, TENANT).GET().build());
        assertProblem(response, 405, "method-not-allowed");
        assertThat(response.headers().firstValue("Allow")).hasValue("POST");
    }

    private HttpResponse<String> post(String key, String body) throws Exception {
        return IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, body);
    }

    private static void assertProblem(HttpResponse<String> response, int status, String type) throws Exception {
        assertThat(response.statusCode()).as("status of %s", response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue(ApiResponse.PROBLEM_JSON);
        JsonNode problem = CanonicalJson.MAPPER.readTree(response.body());
        assertThat(problem.path("type").asText()).isEqualTo("/problems/" + type);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("detail").asText()).isNotBlank();
    }
}
