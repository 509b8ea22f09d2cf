package dev.backendlabs.shared.http;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.backendlabs.shared.http.DownstreamFixture.awaitUntil;
import static dev.backendlabs.shared.http.DownstreamFixture.client;
import static dev.backendlabs.shared.http.DownstreamFixture.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DownstreamFaultTest {

    @Test
    void injectedErrorRatesShowUpWithinTheirStatisticalBand() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/work").start(); DownstreamClient client = client();
             ExecutorService callers = Executors.newFixedThreadPool(16, Thread.ofVirtual().factory())) {
            downstream.errors(503, 0.10).errors(429, 0.05);
            Map<Integer, Long> statuses = statuses(callers, client, downstream.uri("/work"), 1500);

            // Binomial counts over 1500 requests: 503 expects 150 with sigma sqrt(1500 * 0.10 * 0.90) = 11.6, 429 expects 75
            // with sigma 8.4; the bands are +-3 sigma. The draws are seeded, so the counts are the same in every run.
            assertThat(statuses.getOrDefault(503, 0L)).isBetween(115L, 185L);
            assertThat(statuses.getOrDefault(429, 0L)).isBetween(50L, 100L);
            RouteStats stats = downstream.stats("/work");
            assertThat(stats.errors()).isEqualTo(statuses.get(503) + statuses.get(429));
            assertThat(stats.served()).isEqualTo(statuses.get(200));
            assertThat(stats.executed()).as("an injected error does no work").isEqualTo(statuses.get(200));

            downstream.errors(503, 0);
            assertThat(statuses(callers, client, downstream.uri("/work"), 200)).containsKey(429).doesNotContainKey(503);
            downstream.clearFaults();
            assertThat(statuses(callers, client, downstream.uri("/work"), 200)).containsOnlyKeys(200);
        }
    }

    @Test
    void aFailFastOutageAnswersAtOnceWithoutWorkUntilItsWindowEnds() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/work").start(); DownstreamClient client = client()) {
            URI uri = downstream.uri("/work");
            downstream.latency(Latency.fixed(Duration.ofMillis(100)));
            assertThat(get(client, uri).statusCode()).isEqualTo(200);

            long start = System.nanoTime();
            downstream.outage(Outage.failFast(503), Duration.ofMillis(500));
            HttpResponse<String> during = get(client, uri);
            long answeredAfterMs = elapsedMs(start);
            assertThat(during.statusCode()).isEqualTo(503);
            assertThat(answeredAfterMs).as("answered without the 100 ms of work").isLessThan(100);

            sleepUntil(start, 550);
            assertThat(get(client, uri).statusCode()).isEqualTo(200);
            RouteStats stats = downstream.stats("/work");
            assertThat(stats.errors()).isEqualTo(1);
            assertThat(stats.executed()).isEqualTo(2);
        }
    }

    @Test
    void aScheduledOutageStartsAfterItsDelayAndLastsItsDuration() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/work").start(); DownstreamClient client = client()) {
            URI uri = downstream.uri("/work");
            assertThat(get(client, uri).statusCode()).isEqualTo(200);

            long start = System.nanoTime();
            downstream.outage(Outage.failFast(500), Duration.ofMillis(400), Duration.ofMillis(400));
            assertThat(get(client, uri).statusCode()).as("before the window").isEqualTo(200);
            sleepUntil(start, 500);
            assertThat(get(client, uri).statusCode()).as("in the window").isEqualTo(500);
            sleepUntil(start, 850);
            assertThat(get(client, uri).statusCode()).as("after the window").isEqualTo(200);
        }
    }

    @Test
    void aHangHoldsRequestsUntilTheWindowEndsThenServesThem() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/work").start(); DownstreamClient client = client();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            URI uri = downstream.uri("/work");
            assertThat(get(client, uri).statusCode()).isEqualTo(200);
            downstream.reset();

            long start = System.nanoTime();
            downstream.outage(Outage.hang(), Duration.ofMillis(600));
            Future<HttpResponse<String>> patient = callers.submit(() -> get(client, uri));
            assertThatThrownBy(() -> client.get(uri, Map.of(), Duration.ofMillis(150))).isInstanceOf(HttpTimeoutException.class);
            assertThat(downstream.stats("/work").inFlight()).as("both held by the hang").isEqualTo(2);

            assertThat(patient.get().statusCode()).isEqualTo(200);
            assertThat(elapsedMs(start)).as("answered once the window ended").isGreaterThanOrEqualTo(600);
            awaitUntil("the abandoned request is answered too", () -> downstream.stats("/work").inFlight() == 0);
            assertThat(downstream.stats("/work").served()).as("the server did the work of the client that gave up").isEqualTo(2);
        }
    }

    @Test
    void clearingAHangReleasesTheRequestsItHolds() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/work").start(); DownstreamClient client = client();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            URI uri = downstream.uri("/work");
            downstream.outage(Outage.hang());
            Future<HttpResponse<String>> held = callers.submit(() -> get(client, uri));
            awaitUntil("the request is held", () -> downstream.stats("/work").inFlight() == 1);
            Thread.sleep(300);
            assertThat(held).as("an outage until cleared still holds it").isNotDone();

            downstream.clearOutage();
            assertThat(held.get(2, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void closingTheServerReleasesRequestsHeldByAHang() throws Exception {
        Downstream downstream = Downstream.builder().route("/work").start();
        try (DownstreamClient client = client(); ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            downstream.outage(Outage.hang());
            callers.submit(() -> get(client, downstream.uri("/work")));
            awaitUntil("the request is held", () -> downstream.stats("/work").inFlight() == 1);

            downstream.close();
            awaitUntil("the held request is released", () -> downstream.stats("/work").inFlight() == 0);
        }
    }

    private static Map<Integer, Long> statuses(ExecutorService callers, DownstreamClient client, URI uri, int requests) throws Exception {
        List<Future<Integer>> answers = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            answers.add(callers.submit(() -> get(client, uri).statusCode()));
        }
        List<Integer> statuses = new ArrayList<>();
        for (Future<Integer> answer : answers) {
            statuses.add(answer.get());
        }
        return statuses.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    private static long elapsedMs(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private static void sleepUntil(long startNanos, long ms) throws InterruptedException {
        long remaining = TimeUnit.MILLISECONDS.toNanos(ms) - (System.nanoTime() - startNanos);
        if (remaining > 0) {
            TimeUnit.NANOSECONDS.sleep(remaining);
        }
    }
}
