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
import java.util.List;
import java.util.Locale;

import static dev.backendlabs.circuitbreaker.CircuitBreakerFixture.record;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A count window of 100 calls against a time window of 5 s (both: minimum 100 calls, threshold 50 %), at 10 and at 1,000
 * requests/s, through the same 25 s on a manual clock: 10 s healthy, a 4 s incident where every call fails, 5 s healthy, a
 * 1 s blip where every call fails, 5 s healthy. At 10/s a count window of 100 spans 10 s, so it still remembers the incident
 * when the blip comes; a 5 s window never even holds 100 calls. At 1,000/s the count window spans 0.1 s, and the time
 * window's one-second buckets make it slow to react.
 */
@Lab
class WindowTypeUnderTrafficTest {

    private static final Duration INCIDENT = Duration.ofSeconds(10);
    private static final Duration RECOVERY = Duration.ofSeconds(14);
    private static final Duration BLIP = Duration.ofSeconds(19);
    private static final Duration TAIL = Duration.ofSeconds(20);
    private static final Duration END = Duration.ofSeconds(25);

    enum Window {
        COUNT_100("count, 100 calls", SlidingWindowType.COUNT_BASED, 100),
        TIME_5S("time, 5 s", SlidingWindowType.TIME_BASED, 5);

        private final String label;
        private final SlidingWindowType type;
        private final int size;

        Window(String label, SlidingWindowType type, int size) {
            this.label = label;
            this.type = type;
            this.size = size;
        }
    }

    /**
     * How one window fared at one rate.
     *
     * @param openedAt       when it opened, from the start, or null if it never did
     * @param phase          the phase it opened in
     * @param failedInWindow failed calls in its window when it opened
     * @param stale          of those, failures from an earlier phase than the one it opened in
     * @param maxBuffered    the most calls its window ever held
     */
    record Cell(double rate, Window window, Duration openedAt, String phase, int failedInWindow, int stale, int maxBuffered) {
    }

    @Test
    void theTimeWindowNeverOpensAtLowTrafficWhileTheCountWindowReactsToStaleFailures(LabReport report) {
        List<Cell> cells = List.of(simulate(10, Window.COUNT_100), simulate(10, Window.TIME_5S),
                simulate(1_000, Window.COUNT_100), simulate(1_000, Window.TIME_5S));
        ReportTable table = ReportTable.of("Incident 10-14 s and blip 19-20 s (every call fails), healthy otherwise; minimum 100 calls,"
                        + " threshold 50 %", "requests/s", "window", "opened at (s)", "in phase", "failures in window",
                "of which from an earlier phase", "most calls in window");
        cells.forEach(c -> table.row(c.rate(), c.window().label,
                c.openedAt() == null ? "never" : String.format(Locale.ROOT, "%.3f", c.openedAt().toNanos() / 1e9),
                c.phase(), c.failedInWindow(), c.stale(), c.maxBuffered()));
        report.table(table);

        Cell countSlow = cells.get(0);
        Cell timeSlow = cells.get(1);
        Cell countFast = cells.get(2);
        Cell timeFast = cells.get(3);
        assertThat(timeSlow.openedAt()).as("10/s, time window: never, not even through 4 s of total failure").isNull();
        assertThat(timeSlow.maxBuffered()).as("5 buckets of 1 s at 10/s hold 50 calls, below the minimum of 100").isEqualTo(50);
        assertThat(countSlow.openedAt()).as("10/s, count window: survives the incident (40 of 100 failed), opens on the blip's"
                + " 10th failure").isEqualTo(Duration.ofMillis(19_900));
        assertThat(countSlow.stale()).as("40 of its 50 failures are from the incident that ended 5 s before the blip").isEqualTo(40);
        assertThat(countFast.openedAt()).as("1,000/s, count window: 50 failures after the incident starts")
                .isEqualTo(INCIDENT.plusMillis(49));
        assertThat(timeFast.openedAt()).as("1,000/s, time window: only once the healthy buckets have aged out, 2 s in")
                .isEqualTo(INCIDENT.plusSeconds(2));
    }

    /** Calls evenly spaced at {@code rate}, each failing inside the incident and the blip; stops at the first opening. */
    private static Cell simulate(double rate, Window window) {
        ManualClock clock = new ManualClock();
        CircuitBreaker breaker = CircuitBreaker.of(window.name(), clock.drive(CircuitBreakerConfig.custom()
                .slidingWindow(window.size, 100, window.type).failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofHours(1))).build());
        long gap = Math.round(1e9 / rate);
        int maxBuffered = 0;
        int failuresInPhase = 0;
        String phase = phase(Duration.ZERO);
        for (long at = 0; at < END.toNanos(); at += gap) {
            Duration now = Duration.ofNanos(at);
            clock.set(now);
            if (!phase(now).equals(phase)) {
                phase = phase(now);
                failuresInPhase = 0;
            }
            boolean fails = phase.equals("incident") || phase.equals("blip");
            record(breaker, fails);
            failuresInPhase += fails ? 1 : 0;
            CircuitBreaker.Metrics metrics = breaker.getMetrics();
            maxBuffered = Math.max(maxBuffered, metrics.getNumberOfBufferedCalls());
            if (breaker.getState() == CircuitBreaker.State.OPEN) {
                int failed = metrics.getNumberOfFailedCalls();
                return new Cell(rate, window, now, phase, failed, failed - Math.min(failed, failuresInPhase), maxBuffered);
            }
        }
        return new Cell(rate, window, null, "-", 0, 0, maxBuffered);
    }

    private static String phase(Duration at) {
        if (at.compareTo(INCIDENT) < 0) {
            return "healthy";
        }
        if (at.compareTo(RECOVERY) < 0) {
            return "incident";
        }
        if (at.compareTo(BLIP) < 0) {
            return "recovered";
        }
        return at.compareTo(TAIL) < 0 ? "blip" : "healthy again";
    }
}
