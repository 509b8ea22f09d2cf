package dev.backendlabs.circuitbreaker;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.timelimiter.TimeLimiter;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * THE PATTERN: calls the dependency through four resilience4j guards, outermost first:
 * <ol>
 *   <li><b>Retry</b> — one more attempt after a broken connection or a 5xx, never after a timeout or a rejection. Outside
 *       the breaker, so that every attempt is an outcome the breaker counts: a dead dependency opens it after
 *       {@code minimumNumberOfCalls} calls, not that many times the attempts.</li>
 *   <li><b>Bulkhead</b> (semaphore, no waiting) — at most {@code maxConcurrentCalls} workers wait on the dependency; the
 *       others stay free for requests that do not need it. It is outside the breaker so that a full bulkhead, which says
 *       nothing about the dependency, is not counted against it.</li>
 *   <li><b>CircuitBreaker</b> — once half of the recent calls failed or were slow, rejects calls at once for a while, then
 *       lets a few probes decide whether the dependency is back.</li>
 *   <li><b>TimeLimiter</b> — stops waiting after {@code timeLimit}, so that a hung call becomes a recorded failure, and the
 *       worker is free again. It does not stop the dependency's work: it cancels the HTTP exchange, which the server
 *       notices only when it tries to answer.</li>
 * </ol>
 * The HTTP client's own request timeout stays as a safety net above the time limit.
 */
public final class CircuitBreakerQuoteClient implements QuoteClient {

    private final QuoteEndpoint endpoint;
    private final QuoteGuards guards;
    private final ConcurrencyGauge blocked = new ConcurrencyGauge();

    /**
     * @param quotes        the dependency's quote URI
     * @param clientTimeout the HTTP client's timeout for connecting and for the whole request: keep it above the time limit
     * @param guards        the retry, bulkhead, breaker and time limiter of this dependency
     */
    public CircuitBreakerQuoteClient(URI quotes, Duration clientTimeout, QuoteGuards guards) {
        this.guards = Objects.requireNonNull(guards, "guards");
        this.endpoint = new QuoteEndpoint(quotes, clientTimeout);
    }

    // region guarded-call
    @Override
    public String quote(Sku sku) throws QuoteFailedException {
        Callable<String> limited = TimeLimiter.decorateFutureSupplier(guards.timeLimiter(), () -> endpoint.sendAsync(sku));
        Callable<String> guarded = Retry.decorateCallable(guards.retry(),
                Bulkhead.decorateCallable(guards.bulkhead(),
                        whileBlocked(CircuitBreaker.decorateCallable(guards.breaker(), limited))));
        try {
            return guarded.call();
        } catch (Exception e) {
            throw QuoteFailedException.of(e);
        }
    }
    // endregion

    /** The guards, to export their metrics and events. */
    public QuoteGuards guards() {
        return guards;
    }

    @Override
    public ConcurrencyGauge blocked() {
        return blocked;
    }

    @Override
    public void close() {
        endpoint.close();
    }

    private Callable<String> whileBlocked(Callable<String> call) {
        return () -> {
            blocked.enter();
            try {
                return call.call();
            } finally {
                blocked.exit();
            }
        };
    }
}
