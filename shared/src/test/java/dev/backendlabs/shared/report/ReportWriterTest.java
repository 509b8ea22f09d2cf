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
        ReportWriter.write(sampleReport(), environment, directory, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

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
