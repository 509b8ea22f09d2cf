package dev.backendlabs.retry;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * One call to a dependency with its retries and what limits them: resilience4j's {@link Retry} decides whether a failure
 * is retried and counts the attempts, a {@link Backoff} says how long to wait, a {@link RetryAllowance} whether this retry
 * may happen at all, and an optional {@link CircuitBreaker} sees every attempt. Build one per dependency and share it.
 *
 * <pre>{@code
 * RetryPolicy toPayments = RetryPolicy.builder("payments")
 *         .maxAttempts(4)
 *         .backoff(new FullJitterBackoff(Duration.ofMillis(50), Duration.ofSeconds(2)), new Random())
 *         .allowance(new RetryBudget(10, 0.1))
 *         .build();
 * Receipt receipt = toPayments.call(() -> payments.charge(order));
 * }</pre>
 *
 * <p>The defaults are resilience4j's own — 3 attempts, a fixed 500 ms wait, no budget, no breaker — that is, the naive
 * configuration this lab measures; set a {@link FullJitterBackoff} and a {@link RetryBudget}. Only
 * {@link IOException}s are retried by default (connection refused, a timeout, a 5xx turned into
 * {@link RetryableStatusException}), never a {@link CallNotPermittedException}: an open breaker fails the call at once.
 *
 * <p>The allowance is asked from resilience4j's interval function, which runs only when a retry is about to happen (a
 * retryable failure, attempts left): a refusal returns a negative interval, which resilience4j takes as "do not retry"
 * and answers with the last failure (its issue #1565, pull request #2067; {@code SafeRetryTest} checks it on the version
 * this lab uses). So a refused retry costs no wait and no attempt, and the caller sees the dependency's own error.
 */
public final class RetryPolicy {

    /** resilience4j's "do not retry" interval. */
    private static final long STOP = -1;

    private final Retry retry;
    private final RetryAllowance allowance;
    private final CircuitBreaker breaker;

    private RetryPolicy(Builder builder) {
        this.allowance = builder.allowance;
        this.breaker = builder.breaker;
        Backoff backoff = builder.backoff;
        RandomGenerator random = builder.random;
        Predicate<Throwable> retryable = builder.retryOn;
        // region retry-config
        IntervalBiFunction<Object> waitOrStop = (attempt, outcome) ->
                allowance.tryAcquireRetry() ? Math.round(backoff.delayMillis(attempt, random)) : STOP;
        RetryConfig config = RetryConfig.custom()
                .maxAttempts(builder.maxAttempts)
                .intervalBiFunction(waitOrStop)
                .retryOnException(failure -> !(failure instanceof CallNotPermittedException) && retryable.test(failure))
                .build();
        // endregion
        this.retry = Retry.of(builder.name, config);
    }

    /** A policy named {@code name} (resilience4j's name for the {@link Retry}, used in its events and metrics). */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * Runs {@code attempt}, retrying per this policy.
     *
     * @return what the first successful attempt returned
     * @throws Exception the last attempt's failure when no retry is left or allowed, or a non-retryable one at once;
     *                   {@link CallNotPermittedException} when the breaker is open
     */
    public <T> T call(Callable<T> attempt) throws Exception {
        T result = retry.executeCallable(throughBreaker(attempt));
        allowance.onSuccess();
        return result;
    }

    /**
     * Runs {@code attempt} once, never retried: for a request that is not safe to repeat. The breaker still sees it, and
     * a success still earns the budget its credit.
     */
    public <T> T callOnce(Callable<T> attempt) throws Exception {
        T result = throughBreaker(attempt).call();
        allowance.onSuccess();
        return result;
    }

    public RetryAllowance allowance() {
        return allowance;
    }

    /** resilience4j's Retry: its event publisher and metrics (which count calls, not attempts). */
    public Retry retry() {
        return retry;
    }

    public Optional<CircuitBreaker> circuitBreaker() {
        return Optional.ofNullable(breaker);
    }

    private <T> Callable<T> throughBreaker(Callable<T> attempt) {
        return breaker == null ? attempt : CircuitBreaker.decorateCallable(breaker, attempt);
    }

    /** The settings; each has resilience4j's default, see {@link RetryPolicy}. */
    public static final class Builder {

        private final String name;
        private int maxAttempts = 3;
        private Backoff backoff = new FixedBackoff(Duration.ofMillis(500));
        private RandomGenerator random = new Random();
        private RetryAllowance allowance = new UnlimitedRetries();
        private CircuitBreaker breaker;
        private Predicate<Throwable> retryOn = IOException.class::isInstance;

        private Builder(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("A retry policy needs a name, got '" + name + "'");
            }
            this.name = name;
        }

        /** Attempts per call, the first included: 1 (no retry) to 10. gRPC caps it at 5; each layer that retries multiplies it. */
        public Builder maxAttempts(int attempts) {
            if (attempts < 1 || attempts > 10) {
                throw new IllegalArgumentException("maxAttempts counts the first attempt and must be within 1 and 10, got " + attempts);
            }
            this.maxAttempts = attempts;
            return this;
        }

        /** The wait before each retry, with the generator its jitter draws from (seed it to replay a run). */
        public Builder backoff(Backoff backoff, RandomGenerator random) {
            this.backoff = Objects.requireNonNull(backoff, "backoff");
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /** Whether a retry may happen at all: a {@link RetryBudget}, or {@link UnlimitedRetries}. */
        public Builder allowance(RetryAllowance allowance) {
            this.allowance = Objects.requireNonNull(allowance, "allowance");
            return this;
        }

        /** A breaker every attempt goes through; when it is open, calls fail at once and are not retried. */
        public Builder circuitBreaker(CircuitBreaker breaker) {
            this.breaker = Objects.requireNonNull(breaker, "breaker");
            return this;
        }

        /** Which failures are worth another attempt (default: {@link IOException}). */
        public Builder retryOn(Predicate<Throwable> retryable) {
            this.retryOn = Objects.requireNonNull(retryable, "retryable");
            return this;
        }

        public RetryPolicy build() {
            return new RetryPolicy(this);
        }
    }
}
