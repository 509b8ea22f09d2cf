package dev.backendlabs.idempotency;

import dev.backendlabs.idempotency.IdempotencyKeysFixture.Service;
import dev.backendlabs.idempotency.PaymentHooks.Step;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.PAYMENT;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An owner that stalls (a GC pause, a stuck socket) past its lease, while the client's retry takes
 * the key over and finishes it. The order is forced with latches, not timing: the owner stalls at a
 * hook, the test waits until the database clock is past the owner's lease, the retry runs to its end,
 * and only then the owner wakes up and tries to write. Its late writes must change nothing.
 */
@Lab
class StalledKeyOwnerTest {

    private static final Duration LEASE = Duration.ofMillis(300);

    @BeforeEach
    void emptyTables() {
        IdempotencyKeysFixture.truncate();
    }

    @Test
    void aStalledOwnersLateFinishIsFencedOffAfterItsKeyWasTakenOver() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Stall stall = new Stall(Step.CHARGE_RECORDED);
             Service service = IdempotencyKeysFixture.service(provider, options -> options.lease(LEASE).hooks(stall))) {
            provider.idempotent(true);
            String key = UUID.randomUUID().toString();
            Answers answers = stallThenRetry(service, stall, key);
            HttpResponse<String> late = answers.stalled();
            HttpResponse<String> retry = answers.retry();

            assertThat(retry.statusCode()).as("the retry took the key over and finished it").isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(retry)).isFalse();
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM staged_jobs")).as("receipts: the late finish staged none")
                    .isEqualTo(1);
            assertThat(late.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(late)).as("the stalled owner answers with the newer owner's result").isTrue();
            assertThat(late.body()).isEqualTo(retry.body());
            assertThat(service.store().metrics().fenced()).as("the stalled owner's finish was refused").isEqualTo(1);
            assertThat(IdempotencyKeysFixture.count("SELECT lease_token FROM idempotency_keys")).as("the newer owner's token").isEqualTo(2);
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payments")).isEqualTo(1);
            assertThat(IdempotencyKeysFixture.charges(provider)).isEqualTo(1);
        }
    }

    @Test
    void aStalledOwnerThatChargedRecordsNoSecondPaymentAfterTheRetryRecordedIt() throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Stall stall = new Stall(Step.PROVIDER_ANSWERED);
             Service service = IdempotencyKeysFixture.service(provider, options -> options.lease(LEASE).hooks(stall))) {
            provider.idempotent(true);
            String key = UUID.randomUUID().toString();
            Answers answers = stallThenRetry(service, stall, key);
            HttpResponse<String> late = answers.stalled();
            HttpResponse<String> retry = answers.retry();

            assertThat(retry.statusCode()).isEqualTo(201);
            assertThat(late.statusCode()).isEqualTo(201);
            assertThat(IdempotencyKeysFixture.replayed(late)).as("the payment row was there (23505): the owner re-read the key").isTrue();
            assertThat(late.body()).isEqualTo(retry.body());
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payments")).isEqualTo(1);
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM staged_jobs")).isEqualTo(1);
            assertThat(provider.executions(service.payments().providerKey(IdempotencyKeysFixture.keyId(key))))
                    .as("the retry's charge was the provider's replay of the first").isEqualTo(1);
        }
    }

    private record Answers(HttpResponse<String> stalled, HttpResponse<String> retry) {
    }

    /** The first request stalls at its hook; once the database says its lease is over, the retry runs; then the first wakes. */
    private static Answers stallThenRetry(Service service, Stall stall, String key) throws Exception {
        CompletableFuture<HttpResponse<String>> stalled = CompletableFuture.supplyAsync(() -> post(service, key),
                Thread.ofVirtual()::start);
        assertThat(stall.reached.await(10, TimeUnit.SECONDS)).as("the first request reached its stall").isTrue();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> IdempotencyKeysFixture.count(
                "SELECT count(*) FROM idempotency_keys WHERE locked_until <= clock_timestamp()") == 1);
        HttpResponse<String> retry = post(service, key);
        stall.wake.countDown();
        return new Answers(stalled.get(10, TimeUnit.SECONDS), retry);
    }

    private static HttpResponse<String> post(Service service, String key) {
        try {
            return IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Holds the first request to reach {@code at} until {@link #wake} opens; later requests pass. */
    private static final class Stall implements PaymentHooks, AutoCloseable {

        private final Step at;
        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch wake = new CountDownLatch(1);

        Stall(Step at) {
            this.at = at;
        }

        @Override
        public void reached(Step step) throws InterruptedException {
            if (step == at && reached.getCount() == 1) {
                reached.countDown();
                wake.await(30, TimeUnit.SECONDS);
            }
        }

        /** Never leaves a request parked when a test fails early. */
        @Override
        public void close() {
            wake.countDown();
        }
    }
}
