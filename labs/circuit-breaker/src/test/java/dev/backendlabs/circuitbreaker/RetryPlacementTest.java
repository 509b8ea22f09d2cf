package dev.backendlabs.circuitbreaker;

import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.Dependency;
import dev.backendlabs.circuitbreaker.CircuitBreakerFixture.ManualClock;
import dev.backendlabs.shared.http.Outage;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.retry.Retry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The retry × breaker grid, with exact counts. A dependency that answers 503 to everything; a breaker that opens at 50 % of
 * 10 calls and lets 3 probes through after its open wait; a retry of 3 attempts, 10 ms apart. Each cell runs 20 logical
 * operations one after the other, then the open wait passes (on the breaker's clock) and 5 more run: the first half-open
 * round. Counted: calls that reached the dependency, the operation during which the breaker first opened, and rejections.
 */
@Lab
class RetryPlacementTest {

    private static final int FIRST_OPERATIONS = 20;
    private static final int AFTER_THE_WAIT = 5;
    private static final Duration OPEN_WAIT = Duration.ofSeconds(10);
    private static final Duration RETRY_WAIT = Duration.ofMillis(10);

    /** What one cell did. */
    record Cell(long callsBeforeTheWait, long callsAfterTheWait, int openedDuringOperation, int rejections, double openedAfterMs,
                double medianMillisPerRejectedOperation) {

        long calls() {
            return callsBeforeTheWait + callsAfterTheWait;
        }
    }

    @Test
    void aRetryInsideTheBreakerMultipliesTheCallsToADeadDependency(LabReport report) throws Exception {
        Map<RetryPlacement, Cell> cells = new EnumMap<>(RetryPlacement.class);
        for (RetryPlacement placement : RetryPlacement.values()) {
            cells.put(placement, run(placement));
        }
        ReportTable table = ReportTable.of("Retry × breaker against a dependency answering 503: " + FIRST_OPERATIONS + " operations, the"
                        + " open wait, " + AFTER_THE_WAIT + " more", "placement", "calls to the dependency (first 20 / after the wait)",
                "opened during operation", "opened after (ms)", "rejections (CallNotPermittedException)",
                "ms per rejected operation (median)");
        cells.forEach((placement, cell) -> table.row(placement.label(), cell.calls() + " (" + cell.callsBeforeTheWait() + " / "
                + cell.callsAfterTheWait() + ")", cell.openedDuringOperation(), cell.openedAfterMs(), cell.rejections(),
                cell.medianMillisPerRejectedOperation()));
        report.table(table);
        report.metric("retry_outside_breaker_downstream_calls", cells.get(RetryPlacement.OUTSIDE).calls(), "calls",
                "Calls reaching a dead dependency with the retry outside the breaker (each attempt counted): 10 to open it, 3 probes.");
        report.metric("retry_inside_breaker_downstream_calls", cells.get(RetryPlacement.INSIDE).calls(), "calls",
                "The same with the retry inside the breaker (one outcome per 3 attempts): 30 to open it, 3 probes of 3 attempts.");

        for (RetryPlacement placement : RetryPlacement.values()) {
            Cell cell = cells.get(placement);
            int attempts = placement.outside() ? 1 : RetryPlacement.MAX_ATTEMPTS;
            assertThat(cell.callsBeforeTheWait()).as("%s: 10 recorded failures open it, %d call(s) each", placement, attempts)
                    .isEqualTo(10L * attempts);
            assertThat(cell.callsAfterTheWait()).as("%s: 3 probes, %d call(s) each", placement, attempts).isEqualTo(3L * attempts);
            assertThat(cell.openedDuringOperation()).as("%s: the operation that opened it", placement)
                    .isEqualTo(placement.outside() ? 4 : 10);
        }
        assertThat(cells.get(RetryPlacement.OUTSIDE).rejections()).as("one rejection per operation while open")
                .isEqualTo(1 + 16 + 4);
        assertThat(cells.get(RetryPlacement.OUTSIDE_RETRYING_REJECTIONS).rejections()).as("every attempt rejected, three per operation")
                .isEqualTo(2 + 3 * 16 + 3 * 4);
        assertThat(cells.get(RetryPlacement.INSIDE_RETRYING_REJECTIONS)).as("inside, the retry never sees a rejection: same counts")
                .usingRecursiveComparison().comparingOnlyFields("callsBeforeTheWait", "callsAfterTheWait", "openedDuringOperation",
                        "rejections").isEqualTo(cells.get(RetryPlacement.INSIDE));
    }

    private static Cell run(RetryPlacement placement) throws Exception {
        ManualClock clock = new ManualClock();
        CircuitBreaker breaker = CircuitBreaker.of(placement.name(), clock.drive(CircuitBreakerConfig.custom()
                .slidingWindow(10, 10, SlidingWindowType.COUNT_BASED).failureRateThreshold(50)
                .permittedNumberOfCallsInHalfOpenState(3).waitDurationInOpenState(OPEN_WAIT)).build());
        AtomicInteger rejections = new AtomicInteger();
        AtomicInteger operation = new AtomicInteger();
        AtomicInteger openedDuring = new AtomicInteger();
        long[] openedAt = new long[1];
        breaker.getEventPublisher().onCallNotPermitted(event -> rejections.incrementAndGet());
        breaker.getEventPublisher().onStateTransition(event -> {
            if (event.getStateTransition().getToState() == CircuitBreaker.State.OPEN && openedDuring.get() == 0) {
                openedDuring.set(operation.get());
                openedAt[0] = System.nanoTime();
            }
        });
        Retry retry = placement.retry(RETRY_WAIT);
        try (Dependency dependency = Dependency.start();
             QuoteEndpoint endpoint = new QuoteEndpoint(dependency.quotes(), Duration.ofSeconds(5))) {
            dependency.downstream().outage(Outage.failFast(503));
            Callable<String> call = placement.decorate(retry, breaker, () -> endpoint.send(new Sku("BOOK-1")));
            long start = System.nanoTime();
            long callsBeforeTheWait = 0;
            List<Long> rejectedNanos = new ArrayList<>();
            for (int i = 1; i <= FIRST_OPERATIONS + AFTER_THE_WAIT; i++) {
                if (i == FIRST_OPERATIONS + 1) {
                    callsBeforeTheWait = dependency.arrivals();
                    clock.advance(OPEN_WAIT.plusMillis(1));
                }
                operation.set(i);
                long callsBefore = dependency.arrivals();
                long begin = System.nanoTime();
                try {
                    call.call();
                } catch (Exception expected) {
                    // every operation fails: the dependency answers 503, or the breaker rejects
                }
                long took = System.nanoTime() - begin;
                if (dependency.arrivals() == callsBefore) {
                    rejectedNanos.add(took);
                }
            }
            return new Cell(callsBeforeTheWait, dependency.arrivals() - callsBeforeTheWait, openedDuring.get(), rejections.get(),
                    (openedAt[0] - start) / 1e6, rejectedNanos.stream().sorted().toList().get(rejectedNanos.size() / 2) / 1e6);
        }
    }
}
