package dev.backendlabs.circuitbreaker;

import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.Dependency;
import dev.backendlabs.shared.http.Outage;
import dev.backendlabs.shared.junit.Lab;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a breaker counts. An exception is <b>ignored</b> (neither success nor failure, its permit returned) if the ignore
 * predicate matches; otherwise <b>recorded</b> as a failure if the record predicate matches — by default, every exception
 * is; otherwise, and this is the surprise, it counts as a <b>success</b>. To the JDK HttpClient a 503 is an answer, not an
 * {@link IOException}: a breaker told to record only {@code IOException} counts a dependency answering 503 to everything as
 * perfectly healthy. Twenty calls each, against the same dependency behind the fault proxy.
 */
@Lab
class ExceptionClassificationTest {

    private static final int CALLS = 20;
    private static final Sku SKU = new Sku("BOOK-1");

    @Test
    void aBreakerRecordingOnlyIOExceptionCountsEvery503AsASuccess() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.of("io-only", window().recordExceptions(IOException.class).build());
        AtomicInteger successEvents = new AtomicInteger();
        breaker.getEventPublisher().onSuccess(event -> successEvents.incrementAndGet());
        try (Dependency dependency = Dependency.start(); QuoteEndpoint endpoint = endpoint(dependency)) {
            dependency.downstream().outage(Outage.failFast(503));
            int failed = callRepeatedly(breaker, endpoint);

            assertThat(failed).as("calls that threw DownstreamStatusException(503)").isEqualTo(CALLS);
            assertThat(successEvents.get()).as("SUCCESS events: each 503 counted as a success").isEqualTo(CALLS);
            assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
            assertThat(breaker.getMetrics().getFailureRate()).isZero();
            assertThat(breaker.getState()).as("a dependency down for every call, and the breaker never opens")
                    .isEqualTo(CircuitBreaker.State.CLOSED);
        }
    }

    @Test
    void theSameBreakerRecordsConnectionResetsAndOpens() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.of("io-only", window().recordExceptions(IOException.class).build());
        try (Dependency dependency = Dependency.start(); QuoteEndpoint endpoint = endpoint(dependency)) {
            dependency.proxy().reset();
            callRepeatedly(breaker, endpoint);

            assertThat(breaker.getMetrics().getNumberOfFailedCalls()).as("resets recorded").isEqualTo(10);
            assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(breaker.getMetrics().getNumberOfNotPermittedCalls()).as("the other ten rejected").isEqualTo(CALLS - 10);
        }
    }

    @Test
    void theGuardedClientsBreakerRecordsA503OutageAndOpens() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.of("quotes", settings().breakerConfig().build());
        try (Dependency dependency = Dependency.start(); QuoteEndpoint endpoint = endpoint(dependency)) {
            dependency.downstream().outage(Outage.failFast(503));
            callRepeatedly(breaker, endpoint);

            assertThat(breaker.getMetrics().getNumberOfFailedCalls()).as("503s recorded as failures").isEqualTo(10);
            assertThat(breaker.getState()).as("open after its minimum of 10 calls").isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(dependency.arrivals()).as("calls that reached the dependency").isEqualTo(10);
        }
    }

    @Test
    void theGuardedClientsBreakerIgnoresA404() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.of("quotes", settings().breakerConfig().build());
        AtomicInteger ignoredEvents = new AtomicInteger();
        breaker.getEventPublisher().onIgnoredError(event -> ignoredEvents.incrementAndGet());
        try (Dependency dependency = Dependency.start(); QuoteEndpoint endpoint = endpoint(dependency)) {
            dependency.downstream().errors(404, 1.0);
            callRepeatedly(breaker, endpoint);

            assertThat(ignoredEvents.get()).as("IGNORED_ERROR events").isEqualTo(CALLS);
            assertThat(breaker.getMetrics().getNumberOfBufferedCalls()).as("neither successes nor failures").isZero();
            assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        }
    }

    @Test
    void anExceptionInBothListsIsIgnoredWhateverThePrecedenceFlagSays() {
        for (boolean ignoreFirst : new boolean[] {false, true}) {
            CircuitBreaker breaker = CircuitBreaker.of("both-lists", window().recordExceptions(IOException.class)
                    .ignoreExceptions(ConnectException.class).ignoreExceptionsPrecedenceEnabled(ignoreFirst).build());
            breaker.acquirePermission();
            breaker.onError(0, TimeUnit.NANOSECONDS, new ConnectException("refused"));

            // resilience4j 2.4.0's state machine tests the ignore predicate before the record predicate; the flag only changes
            // the record predicate itself (what getRecordExceptionPredicate() answers to other integrations).
            assertThat(breaker.getMetrics().getNumberOfBufferedCalls()).as("recorded calls, precedence flag %s", ignoreFirst).isZero();
            assertThat(breaker.getCircuitBreakerConfig().getRecordExceptionPredicate().test(new ConnectException()))
                    .as("the record predicate alone, precedence flag %s", ignoreFirst).isEqualTo(!ignoreFirst);
        }
    }

    /** {@value #CALLS} calls through {@code breaker}; returns how many threw something other than a rejection. */
    private static int callRepeatedly(CircuitBreaker breaker, QuoteEndpoint endpoint) {
        int failed = 0;
        for (int i = 0; i < CALLS; i++) {
            try {
                breaker.executeCallable(() -> endpoint.send(SKU));
            } catch (CallNotPermittedException rejected) {
                // counted by the breaker's metrics
            } catch (Exception e) {
                failed++;
            }
        }
        return failed;
    }

    private static CircuitBreakerConfig.Builder window() {
        return CircuitBreakerConfig.custom().slidingWindow(10, 10, SlidingWindowType.COUNT_BASED)
                .waitDurationInOpenState(Duration.ofMinutes(1));
    }

    private static GuardSettings settings() {
        return GuardSettings.of(Duration.ofSeconds(1), 8, Duration.ofMinutes(1), Duration.ZERO);
    }

    private static QuoteEndpoint endpoint(Dependency dependency) {
        return new QuoteEndpoint(dependency.quotes(), Duration.ofSeconds(2));
    }
}
