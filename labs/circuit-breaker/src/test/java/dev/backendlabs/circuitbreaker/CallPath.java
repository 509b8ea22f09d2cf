package dev.backendlabs.circuitbreaker;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The three paths a call can take, measured by {@code BreakerOverheadExperimentTest} and by the benchmarks module's
 * {@code CircuitBreakerBenchmark} alike, with the breaker configured as {@link GuardSettings#breakerConfig()} configures it.
 */
public enum CallPath {
    /** The work alone: the baseline. */
    DIRECT,
    /** Through a CLOSED breaker: a permission, two timestamps, the outcome recorded in the sliding window. */
    CLOSED,
    /** Refused by an OPEN breaker: the wait checked against the clock, {@link CallNotPermittedException} thrown and caught. */
    OPEN;

    /** The lab's breaker configuration with the given sliding-window synchronization. */
    public static CircuitBreakerConfig labConfig(SlidingWindowSynchronizationStrategy strategy) {
        return GuardSettings.of(Duration.ofSeconds(1), 8, Duration.ofSeconds(10), Duration.ofMillis(100)).breakerConfig()
                .slidingWindowSynchronizationStrategy(strategy).build();
    }

    /**
     * {@code work} along this path, with a breaker of its own in the state the path needs. A rejection returns the exception
     * instead of throwing it, so that a caller can consume every result alike.
     */
    public Supplier<Object> of(CircuitBreakerConfig config, Supplier<String> work) {
        return switch (this) {
            case DIRECT -> work::get;
            case CLOSED -> CircuitBreaker.decorateSupplier(CircuitBreaker.of("closed", config), work)::get;
            case OPEN -> {
                CircuitBreaker breaker = CircuitBreaker.of("open", config);
                breaker.transitionToOpenStateFor(Duration.ofDays(1));
                Supplier<String> rejected = CircuitBreaker.decorateSupplier(breaker, work);
                yield () -> {
                    try {
                        return rejected.get();
                    } catch (CallNotPermittedException e) {
                        return e;
                    }
                };
            }
        };
    }
}
