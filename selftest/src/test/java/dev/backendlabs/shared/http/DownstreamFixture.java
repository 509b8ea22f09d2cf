package dev.backendlabs.shared.http;

import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.awaitility.Awaitility.await;

/** What the Downstream tests share: a client, polling, and a minimal open-loop driver. */
final class DownstreamFixture {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration PATIENT = Duration.ofSeconds(10);

    private DownstreamFixture() {
    }

    static DownstreamClient client() {
        return DownstreamClient.create(CONNECT_TIMEOUT);
    }

    /** GET with no headers and a timeout long enough that only a hang makes it fire. */
    static HttpResponse<String> get(DownstreamClient client, URI uri) throws IOException, InterruptedException {
        return client.get(uri, Map.of(), PATIENT);
    }

    /** Polls every 5 ms until {@code condition} holds; fails after {@link #PATIENT}. */
    static void awaitUntil(String what, BooleanSupplier condition) {
        await(what).atMost(PATIENT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).until(condition::getAsBoolean);
    }

    /**
     * Offers {@code rate} requests per second at {@code uri} for {@code duration}, open loop (a slow server does not slow the
     * arrivals down), each with {@code clientTimeout}. A request succeeds — is goodput — when it is answered 200 before its
     * client gives up; the dispatcher's lag (how far this JVM itself stalled) is in the result.
     */
    static OpenLoopResult openLoop(DownstreamClient client, URI uri, long rate, Duration duration, Duration clientTimeout)
            throws InterruptedException {
        return LoadRunner.atRate(rate).duration(duration).run(sequence -> {
            HttpResponse<String> response = client.get(uri, Map.of(), clientTimeout);
            if (response.statusCode() != 200) {
                throw new IllegalStateException("answered " + response.statusCode());
            }
        });
    }
}
