package dev.backendlabs.circuitbreaker;

import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.Dependency;
import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.ManualClock;
import dev.backendlabs.shared.junit.Lab;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static dev.backendlabs.circuitbreaker.CircuitBreakerFixture.halfOpen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * HALF_OPEN has no window of time, only a number of probes: a probe that never comes back holds its permit, and every other
 * call is rejected for as long as it hangs — 30 s with a common client timeout, forever without one — even after the
 * dependency is back. {@code maxWaitDurationInHalfOpenState} ends that. Two breakers, one probe each through the same
 * black-holed network (a blocking HTTP call without a time limiter; the first with a 3 s client timeout); the network then heals.
 */
@Lab
class HungProbeTest {

    /** The frozen breaker's probe's own timeout: long enough that the other breaker has recovered well before it fires. */
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(3);

    /**
     * The other breaker's calls never time out during the test: max wait, not a timeout, must free it. (A hung probe that
     * fails late is recorded in whatever state the breaker is in by then: one that timed out during the next half-open round
     * would decide that round.)
     */
    private static final Duration NO_TIMEOUT = Duration.ofMinutes(1);
    /** Above what a healthy probe on a new connection takes on a busy machine (measured 250 ms cold under load 18). */
    private static final Duration MAX_WAIT = Duration.ofMillis(500);
    private static final Duration OPEN_WAIT = Duration.ofSeconds(10);
    private static final Sku SKU = new Sku("BOOK-1");

    @Test
    void aHungProbeFreezesHalfOpenUntilItsCallEndsUnlessMaxWaitEndsItFirst() throws Exception {
        ManualClock clock = new ManualClock();
        CircuitBreaker frozen = CircuitBreaker.of("without-max-wait", config(clock, Duration.ZERO));
        CircuitBreaker freed = CircuitBreaker.of("with-max-wait", config(clock, MAX_WAIT));
        // Closed last: closing the endpoints first fails the calls still hanging, which the executor's close waits for.
        try (ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();
             Dependency dependency = Dependency.start();
             QuoteEndpoint timed = new QuoteEndpoint(dependency.quotes(), CLIENT_TIMEOUT);
             QuoteEndpoint untimed = new QuoteEndpoint(dependency.quotes(), NO_TIMEOUT)) {
            // Both clients warm (classes loaded, code compiled) before anything is timed; not counted below.
            timed.send(SKU);
            untimed.send(SKU);
            halfOpen(frozen);
            halfOpen(freed);
            dependency.proxy().blackhole();
            long start = System.nanoTime();
            CountDownLatch permitted = new CountDownLatch(2);
            for (CircuitBreaker breaker : List.of(frozen, freed)) {
                QuoteEndpoint endpoint = breaker == frozen ? timed : untimed;
                probes.submit(() -> breaker.executeCallable(() -> {
                    permitted.countDown();
                    return endpoint.send(SKU);
                }));
            }
            permitted.await();
            await().until(() -> dependency.proxy().connectionsAccepted() >= 2);

            // Both requests went into the black hole; max wait moves the second breaker on while the network is still down.
            await().atMost(Duration.ofSeconds(5)).until(() -> freed.getState() == CircuitBreaker.State.OPEN);
            dependency.proxy().resume();
            clock.advance(OPEN_WAIT.plusMillis(1));
            String quote = freed.executeCallable(() -> untimed.send(SKU));

            assertThat(quote).isNotEmpty();
            assertThat(freed.getState()).as("max wait gave up on the hung probe; the next probe found the dependency back")
                    .isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(frozen.getState()).as("the other breaker is still waiting for its probe").isEqualTo(CircuitBreaker.State.HALF_OPEN);
            assertThatThrownBy(() -> frozen.executeCallable(() -> timed.send(SKU))).as("and rejects a call the dependency would answer")
                    .isInstanceOf(CallNotPermittedException.class);

            await().atMost(Duration.ofSeconds(5)).until(() -> frozen.getState() == CircuitBreaker.State.OPEN);
            long frozenMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(frozenMillis).as("frozen until the probe's own client timeout failed it (ms)")
                    .isGreaterThanOrEqualTo(CLIENT_TIMEOUT.toMillis());
            assertThat(dependency.arrivals()).as("the black hole ate both probes: 2 warm-up calls and the healthy probe arrived")
                    .isEqualTo(3);
        }
    }

    private static CircuitBreakerConfig config(ManualClock clock, Duration maxWaitInHalfOpen) {
        return clock.drive(CircuitBreakerConfig.custom().slidingWindow(10, 10, SlidingWindowType.COUNT_BASED)
                .permittedNumberOfCallsInHalfOpenState(1).waitDurationInOpenState(OPEN_WAIT)
                .maxWaitDurationInHalfOpenState(maxWaitInHalfOpen)).build();
    }
}
