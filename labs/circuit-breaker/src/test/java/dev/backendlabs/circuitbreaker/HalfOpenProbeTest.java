package dev.backendlabs.circuitbreaker;

import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.ManualClock;
import dev.backendlabs.shared.junit.Lab;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.core.IntervalFunction;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.backendlabs.circuitbreaker.CircuitBreakerFixture.record;
import static dev.backendlabs.circuitbreaker.CircuitBreakerFixture.halfOpen;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * HALF_OPEN, on a clock that moves only when told: how many probes get through, when the verdict comes, what an ignored
 * error does to a permit, and how an exponential open-state wait grows and resets. (A probe that never returns is
 * {@code HungProbeTest}'s, on a real network.)
 */
@Lab
class HalfOpenProbeTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void exactlyThePermittedNumberOfConcurrentCallersGetThrough() throws Exception {
        int callers = 32;
        try (ExecutorService threads = Executors.newFixedThreadPool(callers)) {
            for (int round = 0; round < 20; round++) {
                ManualClock clock = new ManualClock();
                CircuitBreaker breaker = CircuitBreaker.of("probes", clock.drive(config(10, 5)).build());
                breaker.transitionToOpenState();
                clock.advance(WAIT.plusMillis(1));
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Boolean>> permits = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    permits.add(threads.submit(() -> {
                        start.await();
                        // The first caller finds OPEN past its wait and moves it to HALF_OPEN; all of them race for the permits.
                        return breaker.tryAcquirePermission();
                    }));
                }
                start.countDown();
                long granted = 0;
                for (Future<Boolean> permit : permits) {
                    granted += permit.get(10, TimeUnit.SECONDS) ? 1 : 0;
                }

                assertThat(granted).as("round %d: permits granted to %d concurrent callers", round, callers).isEqualTo(5);
                assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
            }
        }
    }

    @Test
    void theVerdictComesAfterTheSmallerOfMinimumCallsAndPermittedProbes() {
        ManualClock clock = new ManualClock();
        CircuitBreaker minimumThree = inHalfOpen(clock, 3, 5);
        CircuitBreaker minimumTen = inHalfOpen(clock, 10, 5);
        CircuitBreaker failing = inHalfOpen(clock, 3, 5);

        List<CircuitBreaker.State> afterThree = new ArrayList<>();
        List<CircuitBreaker.State> afterTen = new ArrayList<>();
        List<CircuitBreaker.State> afterFailures = new ArrayList<>();
        for (int probe = 1; probe <= 5; probe++) {
            if (minimumThree.getState() == CircuitBreaker.State.HALF_OPEN) {
                record(minimumThree, false);
                afterThree.add(minimumThree.getState());
            }
            record(minimumTen, false);
            afterTen.add(minimumTen.getState());
            if (failing.getState() == CircuitBreaker.State.HALF_OPEN) {
                record(failing, probe != 2);
                afterFailures.add(failing.getState());
            }
        }

        assertThat(afterThree).as("minimum 3, 5 permitted: closed after the 3rd success, 2 permits never used")
                .containsExactly(CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.CLOSED);
        assertThat(afterTen).as("minimum 10, 5 permitted: min(10, 5) = 5 probes decide")
                .containsExactly(CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.HALF_OPEN,
                        CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.CLOSED);
        assertThat(afterFailures).as("minimum 3: failure, success, failure is 67 %% failed: open again after the 3rd")
                .containsExactly(CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.OPEN);
    }

    @Test
    void anIgnoredErrorGivesItsPermitBack() {
        ManualClock clock = new ManualClock();
        CircuitBreaker breaker = CircuitBreaker.of("ignored", clock.drive(config(1, 1)
                .ignoreException(DownstreamStatusException::isClientError)).build());
        halfOpen(breaker);

        breaker.acquirePermission();
        breaker.onError(0, TimeUnit.NANOSECONDS, new DownstreamStatusException(404));
        boolean permittedAgain = breaker.tryAcquirePermission();
        breaker.onError(0, TimeUnit.NANOSECONDS, new DownstreamStatusException(503));

        assertThat(permittedAgain).as("the 404 was neither success nor failure, and released the only permit").isTrue();
        assertThat(breaker.getState()).as("the 503 decided").isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void anExponentialOpenWaitDoublesAfterEachFailedProbeAndResetsOnClose() {
        ManualClock clock = new ManualClock();
        CircuitBreaker breaker = CircuitBreaker.of("backoff", clock.drive(CircuitBreakerConfig.custom()
                .slidingWindow(10, 10, SlidingWindowType.COUNT_BASED).permittedNumberOfCallsInHalfOpenState(1)
                .waitIntervalFunctionInOpenState(IntervalFunction.ofExponentialBackoff(Duration.ofSeconds(1), 2))).build());
        List<Long> waits = new ArrayList<>();

        breaker.transitionToOpenState();
        for (boolean probeFails : new boolean[] {true, true, false}) {
            waits.add(openWaitMillis(breaker, clock));
            record(breaker, probeFails);
        }
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        breaker.transitionToOpenState();
        waits.add(openWaitMillis(breaker, clock));

        assertThat(waits).as("open waits (ms): 1 s, then doubled after each failed probe, back to 1 s after closing")
                .containsExactly(1_000L, 2_000L, 4_000L, 1_000L);
    }

    /** Advances the clock 1 ms at a time until the open breaker lets a probe through; the wait it kept the door shut. */
    private static long openWaitMillis(CircuitBreaker breaker, ManualClock clock) {
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        long waited = 0;
        while (!breaker.tryAcquirePermission()) {
            clock.advance(Duration.ofMillis(1));
            waited++;
        }
        // OPEN lets the first call through strictly after its wait: at wait + 1 ms on a 1 ms step. Its permit goes back, for
        // the probe that follows.
        breaker.releasePermission();
        return waited - 1;
    }

    private static CircuitBreakerConfig.Builder config(int minimumCalls, int permitted) {
        return CircuitBreakerConfig.custom().slidingWindow(Math.max(10, minimumCalls), minimumCalls, SlidingWindowType.COUNT_BASED)
                .permittedNumberOfCallsInHalfOpenState(permitted).waitDurationInOpenState(WAIT);
    }

    private static CircuitBreaker inHalfOpen(ManualClock clock, int minimumCalls, int permitted) {
        CircuitBreaker breaker = CircuitBreaker.of("min-" + minimumCalls, clock.drive(config(minimumCalls, permitted)).build());
        halfOpen(breaker);
        return breaker;
    }
}
