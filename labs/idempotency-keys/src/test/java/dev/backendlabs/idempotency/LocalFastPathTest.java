package dev.backendlabs.idempotency;

import dev.backendlabs.idempotency.IdempotencyKeysFixture.Outcome;
import dev.backendlabs.idempotency.IdempotencyKeysFixture.Service;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.PAYMENT;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The local-only fast path: the key, the write and the answer in one transaction — so they commit
 * together (the same transaction id on both rows), a failure leaves no key behind, and a storm of
 * duplicates waits on the first one's uncommitted key and replays it.
 */
@Lab
class LocalFastPathTest {

    @BeforeEach
    void emptyTables() {
        IdempotencyKeysFixture.truncate();
    }

    @Test
    void theIntentAndItsKeyCommitInOneTransactionAndARetryReplays() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            String key = UUID.randomUUID().toString();
            HttpResponse<String> first = IdempotencyKeysFixture.post(service.intentsUri(), TENANT, key, PAYMENT);
            HttpResponse<String> retry = IdempotencyKeysFixture.post(service.intentsUri(), TENANT, key, PAYMENT);

            assertThat(first.statusCode()).isEqualTo(201);
            assertThat(retry.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(retry)).isTrue();
            assertThat(retry.body()).isEqualTo(first.body());
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payment_intents i JOIN idempotency_keys k"
                    + " ON k.id = i.idempotency_key_id WHERE k.xmin = i.xmin AND k.recovery_point = 'finished'"))
                    .as("intent and finished key written by one transaction").isEqualTo(1);
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payment_intents")).isEqualTo(1);
        }
    }

    @Test
    void aLocalWriteTheDatabaseRefusesLeavesNoKeyAndTheRetryRuns() throws Exception {
        IdempotencyStore store = new IdempotencyStore(IdempotencyKeysFixture.dataSource(), IdempotencyKeysFixture.LEASE,
                IdempotencyKeysFixture.LOCK_TIMEOUT);
        SingleTransactionIdempotency fastPath = new SingleTransactionIdempotency(store);
        PaymentRequest request = PaymentRequest.parse(PAYMENT.getBytes(StandardCharsets.UTF_8));
        KeyScope scope = new KeyScope(TENANT, "POST", PaymentIntents.ROUTE, UUID.randomUUID().toString());
        Fingerprint fingerprint = Fingerprint.of(scope, request.canonicalJson());

        assertThatThrownBy(() -> fastPath.execute(scope, fingerprint, (connection, keyId) -> {
            try (PreparedStatement refused = connection.prepareStatement("INSERT INTO payment_intents"
                    + " (tenant, amount, currency, destination, idempotency_key_id) VALUES (?, 0, 'EUR', 'acct_42', ?)")) {
                refused.setString(1, TENANT);
                refused.setLong(2, keyId);
                refused.executeUpdate();
            }
            return null;
        })).isInstanceOf(SQLException.class).satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23514"));
        assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM idempotency_keys")).as("no key left behind").isZero();

        ApiResponse retried = fastPath.execute(scope, fingerprint,
                (connection, keyId) -> PaymentIntents.create(connection, TENANT, request, keyId));
        assertThat(retried.status()).isEqualTo(201);
        assertThat(retried.headers()).doesNotContainKey(ApiResponse.REPLAYED_HEADER);
    }

    @Test
    void oneHundredConcurrentIdenticalIntentsMakeOneIntent() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            List<Outcome> outcomes = IdempotencyKeysFixture.fireTogether(100,
                    IdempotencyKeysFixture.request(service.intentsUri(), TENANT, UUID.randomUUID().toString(), PAYMENT).build());

            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payment_intents")).isEqualTo(1);
            assertThat(outcomes).as("201, its replay, or 409 — never a 500")
                    .allMatch(outcome -> outcome.status() == 201 || outcome.status() == 409);
            assertThat(outcomes).as("one first execution")
                    .filteredOn(outcome -> outcome.status() == 201 && !IdempotencyKeysFixture.replayed(outcome.response())).hasSize(1);
        }
    }
}
