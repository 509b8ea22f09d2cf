package dev.backendlabs.selftest;

import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.StartedBackend;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Measures how long each server took to start in this JVM (the first test class that uses a
 * server pays for it) and shows that asking again returns the same running server.
 */
@Lab("selftest")
class StartupTest {

    @Experiment
    void serversStartOncePerJvmAndAreShared(LabReport report) {
        long begin = System.nanoTime();
        Backends.startAll();
        double allMs = (System.nanoTime() - begin) / 1e6;

        assertThat(Backends.postgres()).isSameAs(Backends.postgres());
        assertThat(Backends.redis()).isSameAs(Backends.redis());
        assertThat(Backends.kafka()).isSameAs(Backends.kafka());
        List<StartedBackend> started = Backends.started();
        assertThat(started).extracting(s -> s.backend().name()).containsExactlyInAnyOrder("postgres", "redis", "kafka");

        long secondBegin = System.nanoTime();
        Backends.startAll();
        double secondMs = (System.nanoTime() - secondBegin) / 1e6;

        ReportTable table = ReportTable.of("Server start-up in this JVM", "server", "version", "mode", "start-up (s)");
        for (StartedBackend server : started) {
            double seconds = server.startup().toMillis() / 1000.0;
            table.row(server.backend().name(), server.backend().version(), server.backend().mode().label(), seconds);
            report.metric(server.backend().name() + "_start_s", seconds, "s",
                    "Time to start (or reach) " + server.backend().name() + " the first time this JVM asked for it.");
        }
        report.table(table);
        report.metric("start_all_call_ms", allMs, "ms",
                "Time of the startAll() call in this test; servers already started by earlier test classes cost nothing here.");
        report.metric("second_start_all_ms", secondMs, "ms",
                "A second startAll() in the same JVM returns the running servers.");
    }
}
