package dev.backendlabs.circuitbreaker;

import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.Dependency;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.net.Direction;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A dependency that answers every call, slowly: the fault proxy adds 60 ms each way, so no call takes less than 120 ms.
 * With resilience4j's slow-call defaults (a call is slow after 60 s, and the breaker opens at 100 % slow calls) nothing is
 * ever slow; with a 100 ms threshold at 50 %, the same ten calls open it.
 */
@Lab
class SlowDependencyTest {

    private static final Duration ONE_WAY = Duration.ofMillis(60);
    private static final int CALLS = 10;

    @Test
    void theSlowCallDefaultsNeverTripOnASlowSuccessfulDependencyATunedThresholdDoes() throws Exception {
        CircuitBreaker defaults = CircuitBreaker.of("slow-call-defaults", window().build());
        CircuitBreaker tuned = CircuitBreaker.of("slow-call-tuned", window()
                .slowCallDurationThreshold(Duration.ofMillis(100)).slowCallRateThreshold(50).build());
        try (Dependency dependency = Dependency.start();
             QuoteEndpoint endpoint = new QuoteEndpoint(dependency.quotes(), Duration.ofSeconds(5));
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            dependency.proxy().latency(Direction.UPSTREAM, ONE_WAY, Duration.ZERO);
            dependency.proxy().latency(Direction.DOWNSTREAM, ONE_WAY, Duration.ZERO);
            for (CircuitBreaker breaker : List.of(defaults, tuned)) {
                List<Future<String>> quotes = new ArrayList<>();
                for (int i = 0; i < CALLS; i++) {
                    quotes.add(callers.submit(() -> breaker.executeCallable(() -> endpoint.send(new Sku("BOOK-1")))));
                }
                for (Future<String> quote : quotes) {
                    assertThat(quote.get()).as("every call succeeds, slowly").isNotEmpty();
                }
            }
        }

        assertThat(defaults.getMetrics().getNumberOfSlowCalls()).as("slow calls under the defaults (60 s)").isZero();
        assertThat(defaults.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(tuned.getMetrics().getNumberOfSlowSuccessfulCalls()).as("slow successful calls over 100 ms").isEqualTo(CALLS);
        assertThat(tuned.getMetrics().getNumberOfFailedCalls()).as("none of them failed").isZero();
        assertThat(tuned.getState()).as("100 %% slow >= 50 %%").isEqualTo(CircuitBreaker.State.OPEN);
    }

    /** Ten calls decide (so that the window, not the slow-call settings, is never the reason it stays closed). */
    private static CircuitBreakerConfig.Builder window() {
        return CircuitBreakerConfig.custom().slidingWindow(CALLS, CALLS, SlidingWindowType.COUNT_BASED);
    }
}
