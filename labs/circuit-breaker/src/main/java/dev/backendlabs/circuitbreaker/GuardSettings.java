package dev.backendlabs.circuitbreaker;

import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Objects;

/**
 * THE PATTERN, its numbers: the four resilience4j configurations of {@link QuoteGuards}, derived from four knobs. Every
 * other value is a decision explained where it is made; the README's "In production" says how to size the knobs.
 *
 * @param timeLimit          how long a worker may wait for one answer (resilience4j's default is 1 s); below the HTTP
 *                           client's timeout, so that the time limiter, not the client, decides
 * @param maxConcurrentCalls how many workers may wait on the dependency at once: the rest of the pool stays free for
 *                           requests that do not need it
 * @param waitInOpenState    how long the breaker stays open before it lets probes through, by attempt (1 for the first
 *                           opening, 2 after a failed probe round, ...): fixed, or growing
 * @param retryWait          the pause before the one retry of a broken connection or a 5xx
 */
public record GuardSettings(Duration timeLimit, int maxConcurrentCalls, IntervalFunction waitInOpenState, Duration retryWait) {

    /**
     * @throws IllegalArgumentException if a duration is missing or not positive (the retry wait may be zero), or
     *                                  {@code maxConcurrentCalls < 1}
     */
    public GuardSettings {
        requirePositive("timeLimit", timeLimit);
        if (maxConcurrentCalls < 1) {
            throw new IllegalArgumentException("maxConcurrentCalls must be >= 1, got " + maxConcurrentCalls);
        }
        Objects.requireNonNull(waitInOpenState, "waitInOpenState");
        if (retryWait == null || retryWait.isNegative()) {
            throw new IllegalArgumentException("retryWait must be >= 0, got " + retryWait);
        }
    }

    /** Settings with a fixed wait in the open state. */
    public static GuardSettings of(Duration timeLimit, int maxConcurrentCalls, Duration waitInOpenState, Duration retryWait) {
        requirePositive("waitInOpenState", waitInOpenState);
        return new GuardSettings(timeLimit, maxConcurrentCalls, IntervalFunction.of(waitInOpenState), retryWait);
    }

    /** The same settings with another open-state wait, e.g. {@code IntervalFunction.ofExponentialBackoff(...)}. */
    public GuardSettings withWaitInOpenState(IntervalFunction wait) {
        return new GuardSettings(timeLimit, maxConcurrentCalls, wait, retryWait);
    }

    /** A builder, so that a caller can add what only it knows (a clock in tests, a name's tags) before building. */
    // region breaker-config
    public CircuitBreakerConfig.Builder breakerConfig() {
        return CircuitBreakerConfig.custom()
                // The last 20 calls, judged once 10 have completed: a rate over recent calls, never a verdict on two or three.
                .slidingWindow(20, 10, SlidingWindowType.COUNT_BASED)
                .failureRateThreshold(50)
                // Slow successes count as well (the defaults, 60 s and 100 %, never trip): half the time limit is already
                // many times what this dependency takes on a good day.
                .slowCallDurationThreshold(timeLimit.dividedBy(2))
                .slowCallRateThreshold(50)
                .waitIntervalFunctionInOpenState(waitInOpenState)
                .permittedNumberOfCallsInHalfOpenState(3)
                // A probe that never returns must not freeze HALF_OPEN (the default waits forever).
                .maxWaitDurationInHalfOpenState(timeLimit.multipliedBy(2))
                // Every exception is a failure (the default predicate) except a 4xx: the request's fault, not the dependency's.
                .ignoreException(DownstreamStatusException::isClientError)
                // Rejections are the expected path while open: no stack trace to fill in for each.
                .writableStackTraceEnabled(false);
    }
    // endregion

    // region retry-config
    public RetryConfig retryConfig() {
        return RetryConfig.custom()
                .maxAttempts(2)
                .waitDuration(retryWait)
                .retryOnException(GuardSettings::worthRetrying)
                .build();
    }

    /**
     * Only what a second attempt may fix at once: a broken connection or a 5xx. Never a timeout (the dependency is slow;
     * asking again doubles its load and the wait), never a rejection by the breaker or the bulkhead (asking again is
     * rejected again, after a pause).
     */
    static boolean worthRetrying(Throwable error) {
        return error instanceof DownstreamStatusException answer && !answer.isClientError()
                || error instanceof IOException && !(error instanceof HttpTimeoutException);
    }
    // endregion

    public BulkheadConfig bulkheadConfig() {
        // No waiting for a permit: a full bulkhead answers at once, and the worker is free again.
        return BulkheadConfig.custom().maxConcurrentCalls(maxConcurrentCalls).maxWaitDuration(Duration.ZERO).build();
    }

    public TimeLimiterConfig timeLimiterConfig() {
        return TimeLimiterConfig.custom().timeoutDuration(timeLimit).cancelRunningFuture(true).build();
    }

    private static void requirePositive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
