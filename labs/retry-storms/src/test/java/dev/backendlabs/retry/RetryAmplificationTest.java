package dev.backendlabs.retry;

import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import static dev.backendlabs.retry.RetryStormsFixture.forwardingTo;
import static dev.backendlabs.retry.RetryStormsFixture.noRetries;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A chain of four in-process HTTP services, A → B → C → D, each calling the next with the JDK HttpClient through a
 * resilience4j Retry. D is down: it answers every request 503 at once. Users send GET /a and never retry themselves.
 * The count that matters is D's: how many requests one user request becomes by the time it reaches the bottom.
 *
 * <p>Waits between attempts are 1 ms, so the test is quick: the amplification is a count of attempts and does not depend
 * on the wait. Every timeout is 10 s, far longer than a whole retried call below it, so no layer gives up while the one
 * below is still retrying (that would add attempts, not remove them).
 */
@Lab
class RetryAmplificationTest {

    private static final int ATTEMPTS = 4;
    private static final Duration WAIT = Duration.ofMillis(1);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int USERS = 20;

    private static HttpClient http;
    private static Downstream d;

    @BeforeAll
    static void start() {
        http = RetryStormsFixture.httpClient();
        d = Downstream.builder().seed(14).route("/d").start();
        d.errors(503, 1.0);
    }

    @AfterAll
    static void stop() {
        d.close();
        http.close();
    }

    @Test
    void everyLayerThatRetriesMultipliesTheLoadOnTheBottomServiceByFour(LabReport report) throws Exception {
        List<String> layers = List.of("no retries", "A (the edge)", "A and B", "A, B and C");
        List<Double> perUser = new ArrayList<>();
        for (int retrying = 0; retrying <= 3; retrying++) {
            int k = retrying;
            perUser.add(callsOnDPerUserRequest(layer -> layer < k ? naive(layer) : noRetries("layer-" + layer), USERS));
        }

        report.metric("amplification_edge_only", perUser.get(1), "x",
                "Requests reaching D per user request with retries (4 attempts) at the edge only, D always failing.");
        report.metric("amplification_naive_3_layers", perUser.get(3), "x",
                "Requests reaching D per user request when A, B and C each make up to 4 attempts and D always fails: 4^3.");
        report.bars("amplification-by-layer.png", "Requests reaching D per user request, D always failing",
                "services that retry (layers)", "requests on D per user request (x)")
                .series("4 attempts per retrying layer", layers, perUser);
        assertThat(perUser).containsExactly(1.0, 4.0, 16.0, 64.0);
    }

    @Test
    void aRetryBudgetAtTheEdgeKeepsTheBottomServiceUnderOnePointOneTimes(LabReport report) throws Exception {
        RetryBudget budget = new RetryBudget(10, 0.1);
        int users = 200;

        double perUser = callsOnDPerUserRequest(layer -> layer == 0
                ? RetryPolicy.builder("a").maxAttempts(ATTEMPTS).backoff(new FullJitterBackoff(WAIT, WAIT.multipliedBy(10)), new Random(14))
                        .allowance(budget).build()
                : noRetries("layer-" + layer), users);

        report.metric("amplification_with_budget", perUser, "x",
                "Requests reaching D per user request with retries at the edge only, within a retry budget (10 tokens, 0.1 per"
                        + " success), D always failing, " + users + " user requests: 1 + 10 / " + users + ".");
        assertThat(perUser).isLessThanOrEqualTo(1.1);
        assertThat(budget.retriesGranted()).as("nothing succeeds, so the budget's 10 initial tokens are all it grants").isEqualTo(10);
    }

    /** The naive layer: what most services ship, resilience4j's Retry with 4 attempts and no budget. */
    // region naive-layer
    private static RetryPolicy naive(int layer) {
        return RetryPolicy.builder("layer-" + layer).maxAttempts(ATTEMPTS).backoff(new FixedBackoff(WAIT), new Random(layer)).build();
    }
    // endregion

    /**
     * Starts A, B and C in front of D with the policy of each (0 = A), sends {@code users} user requests, 10 at a time, and
     * returns D's arrivals per user request.
     */
    private static double callsOnDPerUserRequest(IntFunction<RetryPolicy> policyOfLayer, int users) throws Exception {
        d.reset();
        d.errors(503, 1.0);
        try (Downstream c = Downstream.builder().route("/c", forwardingTo(HopClient.of(http, TIMEOUT, policyOfLayer.apply(2)), d.uri("/d")))
                .start();
             Downstream b = Downstream.builder().route("/b", forwardingTo(HopClient.of(http, TIMEOUT, policyOfLayer.apply(1)), c.uri("/c")))
                     .start();
             Downstream a = Downstream.builder().route("/a", forwardingTo(HopClient.of(http, TIMEOUT, policyOfLayer.apply(0)), b.uri("/b")))
                     .start();
             ExecutorService userThreads = Executors.newFixedThreadPool(10, Thread.ofVirtual().factory())) {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int user = 0; user < users; user++) {
                answers.add(userThreads.submit(() -> http.send(HttpRequest.newBuilder(a.uri("/a")).timeout(TIMEOUT).build(),
                        HttpResponse.BodyHandlers.ofString())));
            }
            for (Future<HttpResponse<String>> answer : answers) {
                assertThat(answer.get().statusCode()).as("every user request fails: D is down").isEqualTo(503);
            }
            assertThat(a.stats("/a").arrivals()).isEqualTo(users);
            return (double) d.stats("/d").arrivals() / users;
        }
    }
}
