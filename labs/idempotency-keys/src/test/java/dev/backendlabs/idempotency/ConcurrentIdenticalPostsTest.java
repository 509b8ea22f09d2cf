package dev.backendlabs.idempotency;

import dev.backendlabs.idempotency.IdempotencyKeysFixture.Outcome;
import dev.backendlabs.idempotency.IdempotencyKeysFixture.Service;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.http.Latency;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.PAYMENT;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A double click, a client retrying after its timeout, a queue redelivering: 100 identical POSTs with
 * one new key, released at once by a latch, against a provider that takes 50 ms and has no
 * idempotency of its own. The naive handler and the pattern get exactly this schedule: the same
 * concurrency, the same provider latency, the same client.
 */
@Lab
class ConcurrentIdenticalPostsTest {

    private static final int REQUESTS = 100;
    private static final Duration PROVIDER_LATENCY = Duration.ofMillis(50);

    @BeforeEach
    void emptyTables() {
        IdempotencyKeysFixture.truncate();
    }

    @Test
    void checkThenInsertChargesMoreThanOnceFor100ConcurrentIdenticalPosts(LabReport report) throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider(); Service naive = IdempotencyKeysFixture.naiveService(provider)) {
            provider.latency(Latency.fixed(PROVIDER_LATENCY));
            List<Outcome> outcomes = storm(naive);

            long charges = IdempotencyKeysFixture.charges(provider);
            report.metric("concurrent_requests", REQUESTS, "requests",
                    "Identical POSTs with one new key, released at once (fixed by the scenario).");
            report.metric("naive_duplicate_charges", charges - 1, "charges",
                    "Provider charges beyond the first for " + REQUESTS + " concurrent identical POSTs through check-then-insert.");
            assertThat(charges).as("provider charges").isGreaterThan(1);
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payments"))
                    .as("payment rows: the unique key notices only at the insert").isEqualTo(1);
            assertThat(outcomes).as("the losers of the insert get a 500").anyMatch(outcome -> outcome.status() == 500);
        }
    }

    @Test
    void atomicClaimChargesOnceFor100ConcurrentIdenticalPosts(LabReport report) throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options)) {
            provider.latency(Latency.fixed(PROVIDER_LATENCY));
            List<Outcome> outcomes = storm(service);

            long charges = IdempotencyKeysFixture.charges(provider);
            report.metric("idempotent_duplicate_charges", charges - 1, "charges",
                    "Provider charges beyond the first for " + REQUESTS + " concurrent identical POSTs with an atomic claim.");
            assertThat(charges).as("provider charges").isEqualTo(1);
            long keyId = IdempotencyKeysFixture.count("SELECT id FROM idempotency_keys");
            assertThat(provider.executions(service.payments().providerKey(keyId))).as("charges under the provider key").isEqualTo(1);
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payments")).as("payment rows").isEqualTo(1);
            assertThat(outcomes).as("every request answered").allMatch(outcome -> outcome.response() != null);
            assertThat(outcomes).as("201, its replay, or 409 — never a 500")
                    .allMatch(outcome -> outcome.status() == 201 || outcome.status() == 409);
            List<Outcome> created = outcomes.stream().filter(outcome -> outcome.status() == 201).toList();
            assertThat(created).as("one first execution")
                    .filteredOn(outcome -> !IdempotencyKeysFixture.replayed(outcome.response())).hasSize(1);
            assertThat(created).as("replays carry the first body").extracting(outcome -> outcome.response().body())
                    .containsOnly(created.getFirst().response().body());
            assertThat(outcomes).filteredOn(outcome -> outcome.status() == 409)
                    .allMatch(outcome -> outcome.response().headers().firstValue("Retry-After").isPresent());
        }
    }

    private static List<Outcome> storm(Service service) throws InterruptedException {
        HttpRequest request = IdempotencyKeysFixture.request(service.paymentsUri(), TENANT, UUID.randomUUID().toString(), PAYMENT).build();
        return IdempotencyKeysFixture.fireTogether(REQUESTS, request);
    }
}
