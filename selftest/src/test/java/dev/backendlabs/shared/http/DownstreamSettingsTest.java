package dev.backendlabs.shared.http;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.backendlabs.shared.http.DownstreamFixture.awaitUntil;
import static dev.backendlabs.shared.http.DownstreamFixture.client;
import static dev.backendlabs.shared.http.DownstreamFixture.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DownstreamSettingsTest {

    private static final Duration WORK = Duration.ofMillis(200);

    @Test
    void badSettingsThrowAndChangeNothing() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/work").start(); DownstreamClient client = client();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            URI uri = downstream.uri("/work");
            downstream.errors(429, 1.0).latency(Latency.fixed(WORK)).capacity(1, 0, Duration.ofSeconds(1));

            assertThatThrownBy(() -> downstream.errors(99, 0.1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> downstream.errors(200, 0.1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("400 to 599");
            assertThatThrownBy(() -> downstream.errors(503, -0.1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> downstream.errors(503, 1.1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> downstream.errors(503, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> downstream.errors(503, 0.5)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("add up to 1.5");
            assertThatThrownBy(() -> Outage.failFast(99)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> downstream.outage(Outage.hang(), Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> downstream.outage(Outage.hang(), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> downstream.outage(Outage.hang(), Duration.ofMillis(-1), Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("past");
            assertThatThrownBy(() -> downstream.capacity(0, 1, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> downstream.capacity(1, -1, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> downstream.capacity(1, 1, Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Latency.fixed(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Latency.uniform(Duration.ofMillis(30), Duration.ofMillis(10)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Latency.logNormal(Duration.ZERO, Duration.ofMillis(10))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Latency.logNormal(Duration.ofMillis(20), Duration.ofMillis(10)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new Downstream.Response(99, "{}")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> downstream.uri("work")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> downstream.stats("/nowhere")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("/work");

            // Still every request 429 (no other status, no outage started) ...
            assertThat(client.get(uri, Map.of(), Duration.ofSeconds(2)).statusCode()).isEqualTo(429);
            // ... and once the errors are cleared, still one worker without a queue, 200 ms of work each.
            downstream.clearFaults();
            long start = System.nanoTime();
            Future<HttpResponse<String>> working = callers.submit(() -> get(client, uri));
            awaitUntil("the worker is taken", () -> downstream.stats("/work").inFlight() == 1);
            assertThat(get(client, uri).statusCode()).as("no queue: rejected").isEqualTo(503);
            assertThat(working.get().statusCode()).isEqualTo(200);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(WORK.toMillis());
        }
    }

    @Test
    void aBuilderRefusesBadRoutes() {
        assertThatThrownBy(() -> Downstream.builder().route("work")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Downstream.builder().route("/work?x=1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Downstream.builder().route("/work").route("/work")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already");
        assertThatThrownBy(() -> Downstream.builder().route("/work", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Downstream.builder().start()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void pathsMatchExactlyAndUnknownOnesAre404() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/pay").start(); DownstreamClient client = client()) {
            assertThat(get(client, downstream.uri("/pay")).body()).isEqualTo("{\"route\":\"/pay\",\"request\":1}");
            assertThat(get(client, downstream.uri("/payment")).statusCode()).isEqualTo(404);
            assertThat(get(client, downstream.uri("/pay/1")).statusCode()).isEqualTo(404);
            assertThat(get(client, downstream.uri("/")).statusCode()).isEqualTo(404);
            assertThat(downstream.stats("/pay").arrivals()).isEqualTo(1);
        }
    }

    @Test
    void theSameSeedDrawsTheSameFaultsAgainAfterReset() throws Exception {
        try (Downstream downstream = Downstream.builder().seed(3).route("/work").start(); DownstreamClient client = client();
             Downstream sameSeed = Downstream.builder().seed(3).route("/work").start()) {
            downstream.errors(503, 0.5);
            List<Integer> first = sequentialStatuses(client, downstream.uri("/work"));
            downstream.reset().errors(503, 0.5);
            List<Integer> afterReset = sequentialStatuses(client, downstream.uri("/work"));
            sameSeed.errors(503, 0.5);
            List<Integer> otherServer = sequentialStatuses(client, sameSeed.uri("/work"));

            assertThat(first).contains(200, 503);
            assertThat(afterReset).isEqualTo(first);
            assertThat(otherServer).isEqualTo(first);
        }
    }

    @Test
    void resetRestoresTheStartedState() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/work").start(); DownstreamClient client = client()) {
            URI uri = downstream.uri("/work");
            downstream.idempotent(true).capacity(1, 0, Duration.ZERO).shedExpired(true);
            client.get(uri, Map.of(Downstream.IDEMPOTENCY_KEY, "k"), Duration.ofSeconds(2));
            downstream.latency(Latency.fixed(Duration.ofSeconds(5))).errors(503, 1.0).outage(Outage.hang());

            downstream.reset();
            HttpResponse<String> answer = client.get(uri, Map.of(Downstream.IDEMPOTENCY_KEY, "k"), Duration.ofSeconds(2));
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().firstValue(Downstream.IDEMPOTENT_REPLAYED)).isEmpty();
            assertThat(downstream.executions("k")).as("executions counted from the reset").isEqualTo(1);
            RouteStats stats = downstream.stats("/work");
            assertThat(stats.arrivals()).isEqualTo(1);
            assertThat(stats.served()).isEqualTo(1);
            assertThat(stats.latency().maxMs()).as("no latency left").isLessThan(1000);
        }
    }

    private static List<Integer> sequentialStatuses(DownstreamClient client, URI uri) throws Exception {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            statuses.add(get(client, uri).statusCode());
        }
        return statuses;
    }
}
