package dev.backendlabs.circuitbreaker;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.timelimiter.TimeLimiter;

import java.util.Objects;

/**
 * THE PATTERN, its parts: the four resilience4j instances that guard one dependency. One set per dependency: a breaker
 * shared by two dependencies opens both when one fails. Export their events and metrics (resilience4j-micrometer binds
 * them) under the dependency's name.
 */
public record QuoteGuards(Retry retry, Bulkhead bulkhead, CircuitBreaker breaker, TimeLimiter timeLimiter) {

    public QuoteGuards {
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(bulkhead, "bulkhead");
        Objects.requireNonNull(breaker, "breaker");
        Objects.requireNonNull(timeLimiter, "timeLimiter");
    }

    /** All four from {@code settings}, each named {@code name}. */
    public static QuoteGuards of(String name, GuardSettings settings) {
        return new QuoteGuards(Retry.of(name, settings.retryConfig()), Bulkhead.of(name, settings.bulkheadConfig()),
                CircuitBreaker.of(name, settings.breakerConfig().build()), TimeLimiter.of(name, settings.timeLimiterConfig()));
    }

    /** The same guards with another breaker, e.g. one built from {@link GuardSettings#breakerConfig()} with a clock. */
    public QuoteGuards withBreaker(CircuitBreaker other) {
        return new QuoteGuards(retry, bulkhead, other, timeLimiter);
    }
}
