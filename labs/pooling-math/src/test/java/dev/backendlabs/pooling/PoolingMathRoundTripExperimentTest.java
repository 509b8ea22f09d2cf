package dev.backendlabs.pooling;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.sql.Sql;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** An experiment: it measures at a fixed arrival rate, records and charts, and asserts only that every request ran. */
@Lab
class PoolingMathRoundTripExperimentTest {

    @Experiment
    void selectOneRoundTripAtAFixedRate(Scale scale, LabReport report) throws InterruptedException {
        OpenLoopResult result = LoadRunner.atRate(200).duration(scale.pick(Duration.ofSeconds(2), Duration.ofSeconds(20)))
                .timeline(Duration.ofMillis(250))
                .run(sequence -> Sql.queryLong(PoolingMathFixture.pool(), "SELECT 1"));

        report.metric("select_1_p99_ms", result.latency().p99Ms(), "ms",
                "SELECT 1 on the lab's pool at 200 requests/s, p99 timed from each intended start.");
        report.line("round-trip-over-time.png", "SELECT 1 at 200 requests/s", "time (s)", "p99 latency (ms)")
                .series("p99", result.timeline().stream().mapToDouble(bucket -> bucket.startSeconds()).toArray(),
                        result.timeline().stream().mapToDouble(bucket -> bucket.latency().p99Ms()).toArray());
        assertThat(result.completed()).as("every request ran").isEqualTo(result.scheduled());
    }
}
