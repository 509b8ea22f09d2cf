package dev.backendlabs.shared.http;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.backendlabs.shared.http.DownstreamFixture.awaitUntil;
import static dev.backendlabs.shared.http.DownstreamFixture.client;
import static dev.backendlabs.shared.http.DownstreamFixture.get;
import static org.assertj.core.api.Assertions.assertThat;

class DownstreamCapacityTest {

    private static final Duration WORK = Duration.ofMillis(200);

    @Test
    void aRequestArrivingToAFullQueueIsRejectedAtOnce() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/work").start(); DownstreamClient client = client();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            URI uri = downstream.uri("/work");
            downstream.latency(Latency.fixed(WORK)).capacity(1, 2, Duration.ofSeconds(10));
            List<Future<HttpResponse<String>>> admitted = List.of(
                    callers.submit(() -> get(client, uri)), callers.submit(() -> get(client, uri)), callers.submit(() -> get(client, uri)));
            awaitUntil("one request works and two wait", () -> downstream.queued() == 2);

            long start = System.nanoTime();
            HttpResponse<String> turnedAway = get(client, uri);
            assertThat(turnedAway.statusCode()).isEqualTo(503);
            assertThat(turnedAway.body()).contains("queue full");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("no wait for a worker").isLessThan(WORK.toMillis());

            for (Future<HttpResponse<String>> request : admitted) {
                assertThat(request.get().statusCode()).isEqualTo(200);
            }
            RouteStats stats = downstream.stats("/work");
            assertThat(stats.rejected()).isEqualTo(1);
            assertThat(stats.served()).isEqualTo(3);
        }
    }

    @Test
    void aRequestQueuedPastItsTimeoutStillCostsItsFullWork() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/work").start(); DownstreamClient client = client()) {
            downstream.latency(Latency.fixed(WORK)).capacity(1, 5, Duration.ofMillis(50));
            long start = System.nanoTime();
            Map<String, Future<Long>> answeredAt = queueThree(downstream, client, start);

            assertThat(answeredAt.get("a").get()).isPositive();
            // One worker, 200 ms of work each, all started after `start`: b is answered after two works, c after three.
            assertThat(answeredAt.get("b").get()).as("b waited for a, then did its own work").isGreaterThanOrEqualTo(2 * WORK.toMillis());
            assertThat(answeredAt.get("c").get()).as("c waited for a and b, then worked").isGreaterThanOrEqualTo(3 * WORK.toMillis());
            assertThat(downstream.executions("b")).isEqualTo(1);
            assertThat(downstream.executions("c")).isEqualTo(1);
            RouteStats stats = downstream.stats("/work");
            assertThat(stats.served()).isEqualTo(1);
            assertThat(stats.timedOut()).isEqualTo(2);
            assertThat(stats.executed()).isEqualTo(3);
        }
    }

    @Test
    void sheddingDropsAnExpiredRequestWithoutWork() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/work").start(); DownstreamClient client = client()) {
            downstream.latency(Latency.fixed(WORK)).capacity(1, 5, Duration.ofMillis(50)).shedExpired(true);
            long start = System.nanoTime();
            Map<String, Future<Long>> answeredAt = queueThree(downstream, client, start);

            // Both are shed as soon as a releases the worker; had b worked, c would have come 200 ms after a at the earliest.
            assertThat(answeredAt.get("c").get() - answeredAt.get("a").get()).as("c dropped without waiting for b's work")
                    .isLessThan(WORK.toMillis());
            assertThat(downstream.executions("b")).isZero();
            assertThat(downstream.executions("c")).isZero();
            RouteStats stats = downstream.stats("/work");
            assertThat(stats.served()).isEqualTo(1);
            assertThat(stats.shed()).isEqualTo(2);
            assertThat(stats.timedOut()).isZero();
        }
    }

    @Test
    void waitingRequestsGetAWorkerInArrivalOrder() throws Exception {
        List<Long> workOrder = new CopyOnWriteArrayList<>();
        CountDownLatch firstMayFinish = new CountDownLatch(1);
        try (Downstream downstream = Downstream.builder().route("/work", request -> {
                if (request.sequence() == 1) {
                    firstMayFinish.await();
                }
                workOrder.add(request.sequence());
                return new Downstream.Response(200, "{}");
            }).start(); DownstreamClient client = client(); ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            URI uri = downstream.uri("/work");
            downstream.capacity(1, 10, Duration.ofSeconds(10));
            callers.submit(() -> get(client, uri));
            awaitUntil("the first request holds the worker", () -> downstream.stats("/work").inFlight() == 1);
            for (int waiting = 1; waiting <= 5; waiting++) {
                callers.submit(() -> get(client, uri));
                int expected = waiting;
                awaitUntil(expected + " requests wait", () -> downstream.queued() == expected);
            }

            firstMayFinish.countDown();
            awaitUntil("all are answered", () -> downstream.stats("/work").served() == 6);
            assertThat(workOrder).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        }
    }

    @Test
    void aHandlerRouteSharesTheCapacityAndCountsItsOwnFailures() throws Exception {
        try (DownstreamClient client = client();
             Downstream next = Downstream.builder().route("/c").start();
             Downstream service = Downstream.builder()
                     .route("/b", request -> {
                         HttpResponse<String> answer = client.get(next.uri("/c"), Map.of(), Duration.ofSeconds(5));
                         return new Downstream.Response(answer.statusCode(), answer.body());
                     })
                     .route("/boom", request -> {
                         throw new IllegalStateException("bug in the handler");
                     })
                     .start();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            service.capacity(1, 0, Duration.ofSeconds(1));
            assertThat(get(client, service.uri("/b")).body()).as("b answers with c's answer").contains("\"route\":\"/c\"");

            next.outage(Outage.failFast(503));
            assertThat(get(client, service.uri("/b")).statusCode()).isEqualTo(503);
            HttpResponse<String> boom = get(client, service.uri("/boom"));
            assertThat(boom.statusCode()).isEqualTo(500);
            assertThat(boom.body()).contains("bug in the handler");

            next.outage(Outage.hang());
            Future<HttpResponse<String>> stuck = callers.submit(() -> get(client, service.uri("/b")));
            awaitUntil("b's only worker is stuck on c", () -> next.stats("/c").inFlight() == 1);
            assertThat(get(client, service.uri("/boom")).statusCode()).as("no worker left for another route").isEqualTo(503);
            next.clearOutage();
            assertThat(stuck.get().statusCode()).isEqualTo(200);

            assertThat(service.stats("/b")).extracting(RouteStats::served, RouteStats::failed).containsExactly(2L, 1L);
            assertThat(service.stats("/boom")).extracting(RouteStats::failed, RouteStats::rejected).containsExactly(1L, 1L);
        }
    }

    /**
     * Sends a, b and c (each with its name as idempotency key) one after the other, each once the previous one holds
     * the worker or waits for it; returns when each was answered, in ms after {@code start}.
     */
    private static Map<String, Future<Long>> queueThree(Downstream downstream, DownstreamClient client, long start) throws Exception {
        ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
        URI uri = downstream.uri("/work");
        Map<String, Future<Long>> answeredAt = new LinkedHashMap<>();
        for (String key : List.of("a", "b", "c")) {
            answeredAt.put(key, callers.submit(() -> {
                client.get(uri, Map.of(Downstream.IDEMPOTENCY_KEY, key), DownstreamFixture.PATIENT);
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            }));
            long arrived = answeredAt.size();
            awaitUntil(key + " arrived", () -> downstream.stats("/work").arrivals() == arrived);
        }
        callers.shutdown();
        return answeredAt;
    }
}
