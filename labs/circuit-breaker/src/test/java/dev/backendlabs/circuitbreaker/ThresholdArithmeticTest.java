package dev.backendlabs.circuitbreaker;

import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.ManualClock;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.backendlabs.circuitbreaker.CircuitBreakerFixture.record;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * When exactly a CLOSED breaker opens, on a clock that moves only when told (so no call is ever slow by accident): the
 * failure rate is compared with {@code >=}, and only once {@code minimumNumberOfCalls} calls are in the window; a count
 * window clamps that minimum to its size, a time window does not; a call is slow only when it takes longer than the slow-call
 * threshold, not as long.
 */
@Lab
class ThresholdArithmeticTest {

    @Test
    void opensAtTheTenthCallExactlyWhenHalfOfTheFirstTenFailed(LabReport report) {
        ReportTable table = ReportTable.of("Window of 10, minimum 10 calls, threshold 50 %: k failures, then successes",
                "failures among the first 10 calls", "failure rate after call 9", "state after call 9", "opened after call");
        for (int failures = 0; failures <= 10; failures++) {
            ManualClock clock = new ManualClock();
            CircuitBreaker breaker = CircuitBreaker.of("k" + failures, clock.drive(CircuitBreakerConfig.custom()
                    .slidingWindow(10, 10, SlidingWindowType.COUNT_BASED).failureRateThreshold(50)).build());
            int openedAfter = 0;
            float rateAfterNine = 0;
            CircuitBreaker.State stateAfterNine = null;
            for (int call = 1; call <= 10 && openedAfter == 0; call++) {
                record(breaker, call <= failures);
                if (call == 9) {
                    rateAfterNine = breaker.getMetrics().getFailureRate();
                    stateAfterNine = breaker.getState();
                }
                if (breaker.getState() == CircuitBreaker.State.OPEN) {
                    openedAfter = call;
                }
            }
            table.row(failures, rateAfterNine, stateAfterNine, openedAfter == 0 ? "stays closed" : openedAfter);

            assertThat(rateAfterNine).as("below the minimum the rate is not computed (-1), k=%d", failures).isEqualTo(-1f);
            assertThat(stateAfterNine).as("nine calls, even nine failures, never open it; k=%d", failures)
                    .isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(openedAfter).as("opens at call 10 iff k/10 >= 50 %%; k=%d", failures).isEqualTo(failures >= 5 ? 10 : 0);
        }
        report.table(table);
    }

    @Test
    void aCountWindowClampsTheMinimumToItsSizeATimeWindowDoesNot() {
        ManualClock clock = new ManualClock();
        CircuitBreaker count = CircuitBreaker.of("count", clock.drive(CircuitBreakerConfig.custom()
                .slidingWindow(10, 100, SlidingWindowType.COUNT_BASED)).build());
        CircuitBreaker time = CircuitBreaker.of("time", clock.drive(CircuitBreakerConfig.custom()
                .slidingWindow(10, 100, SlidingWindowType.TIME_BASED)).build());

        for (int call = 1; call <= 10; call++) {
            record(count, true);
        }
        for (int call = 1; call <= 99; call++) {
            record(time, true);
        }

        assertThat(count.getState()).as("minimum 100 on a window of 10 calls is 10: ten failures open it")
                .isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(time.getState()).as("a 10 s window keeps its minimum of 100: 99 failures do not").isEqualTo(CircuitBreaker.State.CLOSED);
        record(time, true);
        assertThat(time.getState()).as("the 100th does").isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void aCallIsSlowOnlyWhenItTakesLongerThanTheThreshold() {
        ManualClock clock = new ManualClock();
        CircuitBreaker exactly = CircuitBreaker.of("exactly", slow(clock));
        CircuitBreaker longer = CircuitBreaker.of("longer", slow(clock));

        for (int call = 1; call <= 10; call++) {
            timed(exactly, clock, Duration.ofMillis(50));
            timed(longer, clock, Duration.ofMillis(50).plusNanos(1));
        }

        assertThat(exactly.getMetrics().getNumberOfSlowCalls()).as("50 ms against a 50 ms threshold").isZero();
        assertThat(exactly.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(longer.getMetrics().getNumberOfSlowCalls()).as("50 ms + 1 ns").isEqualTo(10);
        assertThat(longer.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    private static CircuitBreakerConfig slow(ManualClock clock) {
        return clock.drive(CircuitBreakerConfig.custom().slidingWindow(10, 10, SlidingWindowType.COUNT_BASED)
                .slowCallDurationThreshold(Duration.ofMillis(50)).slowCallRateThreshold(50)).build();
    }

    /** One successful call that takes {@code duration} on the manual clock. */
    private static void timed(CircuitBreaker breaker, ManualClock clock, Duration duration) {
        breaker.executeSupplier(() -> {
            clock.advance(duration);
            return "ok";
        });
    }
}
