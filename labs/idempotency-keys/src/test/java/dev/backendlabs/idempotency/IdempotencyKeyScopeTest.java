package dev.backendlabs.idempotency;

import dev.backendlabs.idempotency.IdempotencyKeysFixture.Service;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.UUID;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.PAYMENT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A key is unique within (tenant, method, route template): the same client key from another tenant,
 * or on another endpoint, is another key and never replays someone else's answer.
 */
@Lab
class IdempotencyKeyScopeTest {

    @BeforeEach
    void emptyTables() {
        IdempotencyKeysFixture.truncate();
    }

    @Test
    void theSameKeyFromTwoTenantsMakesTwoIndependentPayments() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            String key = UUID.randomUUID().toString();
            HttpResponse<String> first = IdempotencyKeysFixture.post(service.paymentsUri(), "tenant-a", key, PAYMENT);
            HttpResponse<String> second = IdempotencyKeysFixture.post(service.paymentsUri(), "tenant-b", key, PAYMENT);

            assertThat(first.statusCode()).isEqualTo(201);
            assertThat(second.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(second)).isFalse();
            assertThat(second.body()).isNotEqualTo(first.body());
            assertThat(IdempotencyKeysFixture.count("SELECT count(DISTINCT tenant) FROM payments")).isEqualTo(2);
            assertThat(IdempotencyKeysFixture.charges(provider)).isEqualTo(2);
        }
    }

    @Test
    void theSameKeyOnAnotherEndpointIsAnotherKey() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            String key = UUID.randomUUID().toString();
            HttpResponse<String> payment = IdempotencyKeysFixture.post(service.paymentsUri(), IdempotencyKeysFixture.TENANT, key, PAYMENT);
            HttpResponse<String> intent = IdempotencyKeysFixture.post(service.intentsUri(), IdempotencyKeysFixture.TENANT, key, PAYMENT);

            assertThat(payment.statusCode()).isEqualTo(201);
            assertThat(intent.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(intent)).isFalse();
            assertThat(intent.headers().firstValue("Location"))
                    .hasValueSatisfying(location -> assertThat(location).startsWith("/payment-intents/"));
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payment_intents")).isEqualTo(1);
        }
    }
}
