package dev.backendlabs.retry;

import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A budget must not cost the retries that help: with 1 % and 5 % of requests failing at random (503, independently of
 * each other), the budget still retries nearly every failure, because successes refill it ten times faster than the
 * failures drain it. 750 user requests per cell, open loop at 500/s, one hop to the dependency.
 */
@Lab
class TransientFailureTest {

    private static final double[] FAILURE_RATES = {0.01, 0.05};
    private static final List<CallPolicy> POLICIES = List.of(CallPolicy.NO_RETRY, CallPolicy.RETRY, CallPolicy.RETRY_BUDGET);
    private static final int RATE = 500;
    private static final Duration DURATION = Duration.ofMillis(1500);
    /** Generous: the dependency answers in well under a millisecond, so no attempt here is meant to time out. */
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(1);

    private record Cell(double failureRate, CallPolicy policy, double successPercent, double loadPerRequest) {
    }

    @Test
    void aRetryBudgetKeepsSuccessAbove99PercentAndAboveNoRetries(LabReport report) throws Exception {
        List<Cell> cells = new ArrayList<>();
        try (Downstream dependency = Downstream.builder().seed(4).route("/quote").start();
             HttpClient http = RetryStormsFixture.httpClient()) {
            RetryStormsFixture.warmUp(dependency, "/quote", http, 1000);
            for (double failureRate : FAILURE_RATES) {
                for (CallPolicy policy : POLICIES) {
                    dependency.reset().errors(503, failureRate);
                    HopClient client = HopClient.of(http, ATTEMPT_TIMEOUT, policy.newPolicy("quote", new Random(4)));
                    OpenLoopResult load = LoadRunner.atRate(RATE).duration(DURATION).poisson(4)
                            .run(sequence -> client.get(dependency.uri("/quote")));
                    cells.add(new Cell(failureRate, policy, load.successPercent(),
                            (double) dependency.stats("/quote").arrivals() / load.scheduled()));
                }
            }
        }

        ReportTable table = ReportTable.of("Transient failures: success and load per user request (750 requests per cell)",
                "failure rate (%)", "policy", "success (%)", "requests on the dependency per user request (x)");
        cells.forEach(cell -> table.row(cell.failureRate() * 100, cell.policy().label(), cell.successPercent(), cell.loadPerRequest()));
        report.table(table);
        report.metric("transient_success_pct_budget", cell(cells, 0.05, CallPolicy.RETRY_BUDGET).successPercent(), "%",
                "User requests that succeeded with 5 % of the dependency's answers failing at random: 4 attempts, full jitter, budget.");
        report.metric("transient_success_pct_no_retry", cell(cells, 0.05, CallPolicy.NO_RETRY).successPercent(), "%",
                "The same requests without retries.");
        for (double failureRate : FAILURE_RATES) {
            Cell budget = cell(cells, failureRate, CallPolicy.RETRY_BUDGET);
            assertThat(budget.successPercent()).as("budget, %s failing", failureRate).isGreaterThanOrEqualTo(99)
                    .isGreaterThan(cell(cells, failureRate, CallPolicy.NO_RETRY).successPercent());
        }
    }

    private static Cell cell(List<Cell> cells, double failureRate, CallPolicy policy) {
        return cells.stream().filter(c -> c.failureRate() == failureRate && c.policy() == policy).findFirst().orElseThrow();
    }
}
