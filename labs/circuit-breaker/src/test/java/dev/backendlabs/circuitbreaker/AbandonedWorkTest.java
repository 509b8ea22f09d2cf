package dev.backendlabs.circuitbreaker;

import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.Dependency;
import dev.backendlabs.shared.http.Latency;
import dev.backendlabs.shared.http.RouteStats;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The time limiter frees the caller, not the dependency. {@link CircuitBreakerQuoteClient} gives up after 200 ms and
 * cancels the HTTP exchange (the JDK client closes the connection), but the dependency, which takes 3 s, only notices when
 * it tries to answer: it does all the work anyway, for nobody. And a bulkhead in front of a time limiter bounds the caller's
 * waiting threads, not the dependency's load: each timed-out call returns its permit while its request is still being
 * worked on. One quote first, at full speed, so that no request is cancelled before a cold client has even sent it.
 */
@Lab
class AbandonedWorkTest {

    private static final Duration TIME_LIMIT = Duration.ofMillis(200);
    private static final Duration DEPENDENCY_LATENCY = Duration.ofSeconds(3);

    @Test
    void theTimeLimiterStopsWaitingWhileTheDependencyKeepsWorking() throws Exception {
        try (Dependency dependency = Dependency.start();
             CircuitBreakerQuoteClient client = client(dependency, 8);
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            warmUp(dependency, client);
            List<Future<String>> quotes = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                quotes.add(callers.submit(() -> client.quote(new Sku("BOOK-1"))));
            }
            for (Future<String> quote : quotes) {
                assertThat(reasonOf(quote)).isEqualTo(QuoteFailedException.Reason.TIME_LIMIT);
            }
            RouteStats whenTheCallerGaveUp = dependency.downstream().stats("/quote");

            assertThat(client.blocked().current()).as("no worker waits any more").isZero();
            assertThat(whenTheCallerGaveUp.inFlight()).as("requests the dependency is still working on").isEqualTo(5);
            await().atMost(Duration.ofSeconds(10)).until(() -> dependency.downstream().stats("/quote").served() == 5);
            assertThat(dependency.downstream().stats("/quote").served()).as("work done and answered to nobody").isEqualTo(5);
        }
    }

    @Test
    void aBulkheadInFrontOfATimeLimiterDoesNotBoundTheDependencysLoad() throws Exception {
        int limit = 2;
        try (Dependency dependency = Dependency.start();
             CircuitBreakerQuoteClient client = client(dependency, limit)) {
            warmUp(dependency, client);
            for (int i = 0; i < 3 * limit; i++) {
                assertThatThrownBy(() -> client.quote(new Sku("BOOK-1"))).isInstanceOfSatisfying(QuoteFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(QuoteFailedException.Reason.TIME_LIMIT));
            }

            assertThat(client.blocked().peak()).as("caller threads waiting at once: the bulkhead holds").isLessThanOrEqualTo(limit);
            assertThat(dependency.downstream().stats("/quote").inFlight()).as("requests the dependency works on at once")
                    .isEqualTo(3 * limit);
        }
    }

    /** Quotes at full speed until one succeeds (a cold client's first may outlast the limit), then the dependency slows down. */
    private static void warmUp(Dependency dependency, CircuitBreakerQuoteClient client) {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> !client.quote(new Sku("WARM-UP")).isEmpty());
        dependency.downstream().reset().latency(Latency.fixed(DEPENDENCY_LATENCY));
    }

    private static CircuitBreakerQuoteClient client(Dependency dependency, int maxConcurrentCalls) {
        GuardSettings settings = GuardSettings.of(TIME_LIMIT, maxConcurrentCalls, Duration.ofMinutes(1), Duration.ZERO);
        return new CircuitBreakerQuoteClient(dependency.quotes(), Duration.ofSeconds(30), QuoteGuards.of("abandoned", settings));
    }

    private static QuoteFailedException.Reason reasonOf(Future<String> quote) throws InterruptedException {
        try {
            quote.get();
            throw new AssertionError("the quote succeeded within " + TIME_LIMIT);
        } catch (ExecutionException e) {
            return ((QuoteFailedException) e.getCause()).reason();
        }
    }
}
