package dev.backendlabs.shared.http;

import dev.backendlabs.shared.load.LatencyRecorder;
import dev.backendlabs.shared.load.LatencySummary;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.backendlabs.shared.http.DownstreamFixture.client;
import static dev.backendlabs.shared.http.DownstreamFixture.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DownstreamLatencyTest {

    @Test
    void sampledServiceTimesFollowTheConfiguredDistribution() {
        Random random = new Random(7);
        LatencyRecorder logNormal = new LatencyRecorder();
        LatencyRecorder uniform = new LatencyRecorder();
        Latency skewed = Latency.logNormal(Duration.ofMillis(20), Duration.ofMillis(80));
        Latency flat = Latency.uniform(Duration.ofMillis(10), Duration.ofMillis(30));
        for (int i = 0; i < 100_000; i++) {
            logNormal.recordNanos(skewed.sampleNanos(random));
            uniform.recordNanos(flat.sampleNanos(random));
        }

        // 100 000 draws: the standard error of the median is 1.25 sigma / sqrt(n) = 0.24 % (sigma = ln 4 / 2.326 = 0.60),
        // of the p99 about 0.7 %; the bands are over 2 standard errors wide.
        LatencySummary skew = logNormal.summary();
        assertThat(skew.p50Ms()).isCloseTo(20.0, within(0.4));
        assertThat(skew.p99Ms()).isCloseTo(80.0, within(4.0));
        LatencySummary even = uniform.summary();
        assertThat(even.p50Ms()).isCloseTo(20.0, within(0.2));
        assertThat(even.maxMs()).isLessThanOrEqualTo(30.02);
        assertThat(uniform.histogram().getMinValue()).isGreaterThanOrEqualTo(Duration.ofMillis(10).toNanos() - 10_000);
        assertThat(Latency.fixed(Duration.ofMillis(5)).sampleNanos(random)).isEqualTo(Duration.ofMillis(5).toNanos());
    }

    @Test
    void aFixedServiceTimeIsHonouredEndToEnd() throws Exception {
        try (Downstream downstream = Downstream.builder().route("/work").start(); DownstreamClient client = client()) {
            downstream.latency(Latency.fixed(Duration.ofMillis(25)));
            URI uri = downstream.uri("/work");
            LatencyRecorder clientSide = new LatencyRecorder();
            for (int i = 0; i < 40; i++) {
                long start = System.nanoTime();
                assertThat(get(client, uri).statusCode()).isEqualTo(200);
                clientSide.recordSince(start);
            }

            // A sleep never ends early, so 25 ms is a hard floor. Above it the band allows for a CPU-starved machine: with
            // load average 2-9 on 2 cores, a virtual thread woke 0.3 ms (p50) to 2 ms (p90) late, the server p50 was 25.2-26 ms
            // and the client's 27-30 ms (the JDK client and server add 1-5 ms of loopback round trip).
            LatencySummary server = downstream.stats("/work").latency();
            assertThat(server.count()).isEqualTo(40);
            assertThat(server.p50Ms()).isBetween(25.0, 31.0);
            assertThat(clientSide.summary().p50Ms()).isBetween(25.0, 40.0);
        }
    }

    @Test
    void aLogNormalMedianIsHonouredEndToEnd() throws Exception {
        try (Downstream downstream = Downstream.builder().seed(11).route("/work").start(); DownstreamClient client = client();
             ExecutorService callers = Executors.newFixedThreadPool(16, Thread.ofVirtual().factory())) {
            downstream.latency(Latency.logNormal(Duration.ofMillis(20), Duration.ofMillis(80)));
            URI uri = downstream.uri("/work");
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                statuses.add(callers.submit(() -> get(client, uri).statusCode()));
            }
            for (Future<Integer> status : statuses) {
                assertThat(status.get()).isEqualTo(200);
            }

            // The median of 400 log-normal draws is within +-3 standard errors (1.25 * 0.60 / sqrt(400) = 3.7 %) of 20 ms,
            // 17.8 to 22.2 ms; this seed's draws have a median of 19.5 ms. Serving adds wake-up delay: measured server p50s
            // were 20.4-26.1 ms with load average 2-9 on 2 cores, hence 8 ms of slack above. Double-applied latency (40 ms)
            // or a median taken for the p99 still fail.
            LatencySummary server = downstream.stats("/work").latency();
            assertThat(server.count()).isEqualTo(400);
            assertThat(server.p50Ms()).isBetween(17.8, 30.0);
            assertThat(server.p99Ms()).isGreaterThan(50.0);
        }
    }
}
