package dev.backendlabs.shared.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.backendlabs.shared.Scale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReportWriterTest {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private final Environment environment = new Environment("embedded", orderedServers(),
            "Eclipse Adoptium 25", 2, "Linux 6.1 amd64", "Test CPU");

    @Test
    void resultsJsonParsesBackWithTheDocumentedFields(@TempDir Path directory) throws IOException {
        LabReport report = sampleReport();
        ReportWriter.write(report, environment, directory, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        JsonNode json = new ObjectMapper().readTree(directory.resolve("results.json").toFile());
        assertThat(json.path("lab").asText()).isEqualTo("demo-lab");
        assertThat(json.path("scale").asText()).isEqualTo("quick");
        JsonNode env = json.path("environment");
        assertThat(env.path("backend").asText()).isEqualTo("embedded");
        assertThat(env.path("postgres").asText()).isEqualTo("17.6");
        assertThat(env.path("redis").asText()).isEqualTo("6.2.11");
        assertThat(env.has("kafka")).as("a server the run did not use is absent").isFalse();
        assertThat(env.path("java").asText()).isEqualTo("Eclipse Adoptium 25");
        assertThat(env.path("cores").asInt()).isEqualTo(2);
        JsonNode metric = json.path("metrics").path("over_admissions");
        assertThat(metric.path("value").asDouble()).isEqualTo(0.0);
        assertThat(metric.path("unit").asText()).isEqualTo("requests");
        assertThat(metric.path("claim").asText()).isEqualTo("The bucket never admits more than the math allows.");
        assertThat(json.path("metrics").path("p99_ms").path("value").asDouble()).isEqualTo(1.25);
        JsonNode table = json.path("tables").get(0);
        assertThat(table.path("title").asText()).isEqualTo("Latency by depth");
        assertThat(table.path("columns")).hasSize(2);
        assertThat(table.path("rows").get(1).get(0).asInt()).isEqualTo(1000);
        assertThat(table.path("rows").get(1).get(1).asDouble()).isEqualTo(3.5);
        assertThat(json.path("charts").get(0).asText()).isEqualTo("latency-by-depth.png");
    }

    @Test
    void chartIsANonEmptyPng(@TempDir Path directory) throws IOException {
        ReportWriter.write(sampleReport(), environment, directory, quiet());

        byte[] png = Files.readAllBytes(directory.resolve("latency-by-depth.png"));
        assertThat(png.length).isGreaterThan(5_000);
        assertThat(java.util.Arrays.copyOf(png, 8)).isEqualTo(PNG_SIGNATURE);
    }

    @Test
    void markdownAndConsoleShowTheSameMetrics(@TempDir Path directory) throws IOException {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ReportWriter.write(sampleReport(), environment, directory, new PrintStream(console, true, StandardCharsets.UTF_8));

        String markdown = Files.readString(directory.resolve("report.md"));
        assertThat(markdown).contains("| `over_admissions` | 0 | requests |")
                .contains("| `p99_ms` | 1.25 | ms |")
                .contains("### Latency by depth")
                .contains("| 1000 | 3.50 |")
                .contains("![latency-by-depth.png](latency-by-depth.png)")
                .contains("postgres 17.6");
        assertThat(console.toString(StandardCharsets.UTF_8)).contains("over_admissions").contains("1.25").contains("results.json");
    }

    @Test
    void writingAgainReplacesTheWholeFolderSoChartsNoLongerDrawnDisappear(@TempDir Path parent) throws IOException {
        Path directory = parent.resolve("lab-report");
        ReportWriter.write(sampleReport(), environment, directory, quiet());
        assertThat(directory.resolve("latency-by-depth.png")).exists();

        LabReport withoutChart = new LabReport("demo-lab", Scale.QUICK);
        withoutChart.metric("over_admissions", 0, "requests", "Again.");
        ReportWriter.write(withoutChart, environment, directory, quiet());

        assertThat(directory.resolve("latency-by-depth.png")).doesNotExist();
        assertThat(directory.resolve("results.json")).exists();
        try (var left = Files.list(parent)) {
            assertThat(left).as("no staging or retired folders left behind").containsExactly(directory);
        }
    }

    @Test
    void resultsJsonSaysWhichTestsRanHowTheyEndedAndWhetherTheRunWasComplete(@TempDir Path directory) throws IOException {
        LabReport report = new LabReport("demo-lab", Scale.QUICK);
        report.expectTests(java.util.Set.of("ClaimTest.holds", "ClaimTest.breaks", "ExperimentTest.measures"));
        report.testOutcome("ClaimTest.holds", TestOutcome.PASSED);
        report.testOutcome("ClaimTest.breaks", TestOutcome.FAILED);
        report.notRun("ExperimentTest.needsATool", "pgbouncer is not installed: apt-get install pgbouncer");

        ReportWriter.write(report, environment, directory, quiet());

        JsonNode json = new ObjectMapper().readTree(directory.resolve("results.json").toFile());
        assertThat(json.path("tests").path("ClaimTest.holds").asText()).isEqualTo("passed");
        assertThat(json.path("tests").path("ClaimTest.breaks").asText()).isEqualTo("failed");
        assertThat(json.path("complete").asBoolean()).isFalse();
        assertThat(json.path("missing_tests").get(0).asText()).isEqualTo("ExperimentTest.measures");
        assertThat(json.path("tests").path("ExperimentTest.needsATool").asText()).isEqualTo("not run");
        assertThat(json.path("not_run").path("ExperimentTest.needsATool").asText()).contains("apt-get install pgbouncer");
        assertThat(Files.readString(directory.resolve("report.md"))).contains("partial run: 1 of the lab's tests did not run");
    }

    @Test
    void seriesAddedFromDifferentTestsAreDrawnIntoTheChartTheyDeclared(@TempDir Path directory) throws IOException {
        LabReport report = new LabReport("demo-lab", Scale.QUICK);
        report.line("admitted.png", "Admitted over time", "time (ms)", "admitted (requests)").series("bucket", new double[] {0, 1},
                new double[] {0, 100});
        report.line("admitted.png", "Admitted over time", "time (ms)", "admitted (requests)").series("window", new double[] {0, 1},
                new double[] {0, 200});
        report.bars("rates.png", "Rates", "variant (name)", "rate (ops/s)").series("ops", List.of("a", "b"), List.of(1.0, 2.0));

        assertThatThrownBy(() -> report.line("admitted.png", "Another title", "time (ms)", "admitted (requests)"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("declared twice");
        assertThatThrownBy(() -> report.bars("rates.png", "Rates", "variant (name)", "rate (ops/s)").series("x", new double[] {1},
                new double[] {1})).isInstanceOf(IllegalArgumentException.class);
        ReportWriter.write(report, environment, directory, quiet());

        XYChart drawn = (XYChart) report.charts().get("admitted.png");
        assertThat(drawn.getSeriesMap()).containsOnlyKeys("bucket", "window");
        assertThat(directory.resolve("admitted.png")).exists();
        assertThat(directory.resolve("rates.png")).exists();
    }

    @Test
    void rejectsMetricNamesThatAreNotSnakeCase() {
        LabReport report = new LabReport("demo-lab", Scale.QUICK);
        for (String bad : List.of("OverAdmissions", "over-admissions", "_x", "x__y", "")) {
            assertThatThrownBy(() -> report.metric(bad, 1, "u", "c")).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> report.metric("nan_value", Double.NaN, "u", "c")).isInstanceOf(IllegalArgumentException.class);
        assertThat(report.isEmpty()).isTrue();
    }

    @Test
    void rejectsAxisTitlesWithoutUnits() {
        assertThatThrownBy(() -> Charts.line("t", "depth", "latency (ms)"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unit");
        assertThatThrownBy(() -> ReportTable.of("t", "a", "b").row(1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 columns");
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    private static LabReport sampleReport() {
        LabReport report = new LabReport("demo-lab", Scale.QUICK);
        report.metric("over_admissions", 0, "requests", "The bucket never admits more than the math allows.");
        report.metric("p99_ms", 1.25, "ms", "p99 decision latency at 32 threads.");
        report.table(ReportTable.of("Latency by depth", "depth (rows)", "p50 (ms)").row(0, 0.5).row(1000, 3.5));
        XYChart chart = Charts.line("Latency by depth", "depth (rows)", "p50 latency (ms)");
        chart.addSeries("offset", new double[] {1, 1000, 100000}, new double[] {0.5, 3.5, 120});
        chart.addSeries("keyset", new double[] {1, 1000, 100000}, new double[] {0.5, 0.6, 0.6});
        report.chart("latency-by-depth.png", chart);
        return report;
    }

    private static Map<String, String> orderedServers() {
        Map<String, String> servers = new LinkedHashMap<>();
        servers.put("postgres", "17.6");
        servers.put("redis", "6.2.11");
        return servers;
    }
}
