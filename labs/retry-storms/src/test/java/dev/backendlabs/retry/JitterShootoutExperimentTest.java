package dev.backendlabs.retry;

import dev.backendlabs.retry.RetryStormsFixture.Contention;
import dev.backendlabs.retry.RetryStormsFixture.ContentionSimulation;
import dev.backendlabs.retry.RetryStormsFixture.Strategy;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Brooker's 2015 comparison, reproduced: 10 to 50 clients contending for one row with optimistic concurrency, each
 * strategy averaged over 100 seeded runs per cell (1,000 at the full scale), in virtual time. The published figures are
 * graphs; the numbers to compare with come from re-running Brooker's own simulator (1.9× fewer calls and 12× faster for
 * full jitter than exponential backoff without jitter, at 50 clients).
 */
@Lab
class JitterShootoutExperimentTest {

    private static final int[] CLIENTS = {10, 20, 30, 40, 50};
    private static final long SEED = 42;

    @Experiment
    void jitterStrategiesByNumberOfContendingClients(Scale scale, LabReport report) {
        int runs = scale.pick(100, 1000);
        Map<Strategy, Contention[]> cells = new EnumMap<>(Strategy.class);
        ReportTable table = ReportTable.of("Contending clients, " + runs + " runs per cell (Brooker's model)",
                "clients", "strategy", "calls (writes)", "completion (ms)");
        for (Strategy strategy : Strategy.values()) {
            Contention[] row = new Contention[CLIENTS.length];
            for (int i = 0; i < CLIENTS.length; i++) {
                row[i] = ContentionSimulation.run(strategy, CLIENTS[i], runs, SEED);
                table.row(CLIENTS[i], strategy.label(), row[i].calls(), row[i].completionMillis());
            }
            cells.put(strategy, row);
        }
        report.table(table);

        double[] clients = IntStream.of(CLIENTS).asDoubleStream().toArray();
        var calls = report.line("jitter-calls-by-clients.png", "Work: writes until every client has updated the row",
                "contending clients (clients)", "calls (writes)");
        var time = report.line("jitter-time-by-clients.png", "Time until the last client has updated the row",
                "contending clients (clients)", "completion time (ms, log scale)").logY();
        cells.forEach((strategy, row) -> {
            calls.series(strategy.label(), clients, Arrays.stream(row).mapToDouble(Contention::calls).toArray());
            time.series(strategy.label(), clients, Arrays.stream(row).mapToDouble(Contention::completionMillis).toArray());
        });

        Contention exponential = cells.get(Strategy.EXPONENTIAL)[CLIENTS.length - 1];
        Contention full = cells.get(Strategy.FULL_JITTER)[CLIENTS.length - 1];
        report.metric("jitter_full_vs_none_calls_ratio", exponential.calls() / full.calls(), "x",
                "Writes with exponential backoff without jitter over writes with full jitter, 50 contending clients"
                        + " (Brooker's simulator: about 1.9).");
        report.metric("jitter_full_vs_none_time_ratio", exponential.completionMillis() / full.completionMillis(), "x",
                "Completion time without jitter over completion time with full jitter, 50 contending clients"
                        + " (Brooker's simulator: about 12).");

        assertThat(cells).hasSize(Strategy.values().length)
                .allSatisfy((strategy, row) -> assertThat(row).allSatisfy(cell -> assertThat(cell.calls()).isPositive()));
    }
}
