package dev.backendlabs.circuitbreaker;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * The four ways to combine a retry (3 attempts) with a breaker: the retry outside the breaker, where each attempt is a call
 * the breaker counts and a rejection is an exception the retry sees, or inside, where the breaker counts one outcome per
 * logical operation and the retry never sees a rejection; and whether the retry retries {@link CallNotPermittedException}.
 * {@link CircuitBreakerQuoteClient} is {@link #OUTSIDE}.
 */
enum RetryPlacement {
    OUTSIDE_RETRYING_REJECTIONS(true, true),
    OUTSIDE(true, false),
    INSIDE_RETRYING_REJECTIONS(false, true),
    INSIDE(false, false);

    static final int MAX_ATTEMPTS = 3;

    private final boolean outside;
    private final boolean retriesRejections;

    RetryPlacement(boolean outside, boolean retriesRejections) {
        this.outside = outside;
        this.retriesRejections = retriesRejections;
    }

    boolean outside() {
        return outside;
    }

    /** Retries a 5xx answer, and a rejection by the breaker in the {@code _RETRYING_REJECTIONS} cells. */
    Retry retry(Duration wait) {
        return Retry.of(name(), RetryConfig.custom().maxAttempts(MAX_ATTEMPTS).waitDuration(wait)
                .retryOnException(e -> e instanceof DownstreamStatusException answer && !answer.isClientError()
                        || retriesRejections && e instanceof CallNotPermittedException)
                .build());
    }

    <T> Callable<T> decorate(Retry retry, CircuitBreaker breaker, Callable<T> call) {
        return outside
                ? Retry.decorateCallable(retry, CircuitBreaker.decorateCallable(breaker, call))
                : CircuitBreaker.decorateCallable(breaker, Retry.decorateCallable(retry, call));
    }

    String label() {
        return (outside ? "retry outside breaker" : "retry inside breaker") + (retriesRejections ? ", retries rejections" : "");
    }
}
