package dev.backendlabs.shared.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Writes a {@link LabReport}: {@code results.json} (the machine-readable record), {@code report.md}
 * (the same as Markdown tables) and one PNG per chart, then prints the metrics as a table.
 *
 * <p>The files are written into a staging folder beside the report folder, which then replaces
 * the old one by renaming: a reader (the suite report, a script copying reference results) never
 * sees a half-written report, and charts a run no longer draws do not linger from older runs.
 */
public final class ReportWriter {

    public static final String RESULTS_FILE = "results.json";
    public static final String MARKDOWN_FILE = "report.md";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportWriter() {
    }

    /**
     * The report folder of the module whose test classes live in {@code testClassesRoot}
     * ({@code <module>/target/test-classes}): {@code <module>/target/lab-report}, wherever the run
     * started from (an IDE runs tests from another working directory), or {@code -Dlabs.report.dir}.
     */
    public static Path directoryFor(Path testClassesRoot) {
        String override = System.getProperty("labs.report.dir");
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        return testClassesRoot.toAbsolutePath().getParent().resolve("lab-report");
    }

    /** Writes every file into {@code directory}, replacing what was there, and prints the metrics to {@code console}. */
    public static void write(LabReport report, Environment environment, Path directory, PrintStream console) {
        Path parent = directory.toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
            Path staging = Files.createTempDirectory(parent, directory.getFileName() + ".staging-");
            List<String> chartFiles = new ArrayList<>();
            for (Map.Entry<String, Chart<?, ?>> chart : report.charts().entrySet()) {
                Path file = staging.resolve(chart.getKey());
                BitmapEncoder.saveBitmap(chart.getValue(), file.toString(), BitmapEncoder.BitmapFormat.PNG);
                chartFiles.add(chart.getKey());
            }
            JSON.writeValue(staging.resolve(RESULTS_FILE).toFile(), toJson(report, environment, chartFiles));
            Files.writeString(staging.resolve(MARKDOWN_FILE), toMarkdown(report, environment, chartFiles));
            replace(directory.toAbsolutePath(), staging);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the report of " + report.lab() + " to " + directory, e);
        }
        console.print(consoleTable(report, directory));
    }

    /** Puts {@code staging} where {@code directory} is: the old folder is renamed away first, then deleted. */
    private static void replace(Path directory, Path staging) throws IOException {
        Path retired = null;
        if (Files.exists(directory)) {
            retired = directory.resolveSibling(directory.getFileName() + ".retired-" + System.nanoTime());
            Files.move(directory, retired, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(staging, directory, StandardCopyOption.ATOMIC_MOVE);
        if (retired != null) {
            try (Stream<Path> files = Files.walk(retired)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    private static Map<String, Object> toJson(LabReport report, Environment environment, List<String> chartFiles) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("lab", report.lab());
        root.put("scale", report.scale().label());
        root.put("environment", environment.toJson());
        root.put("metrics", report.metrics());
        List<Map<String, Object>> tables = new ArrayList<>();
        for (ReportTable table : report.tables()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("title", table.title());
            json.put("columns", table.columns());
            json.put("rows", table.rows());
            tables.add(json);
        }
        root.put("tables", tables);
        root.put("charts", chartFiles);
        Map<String, String> tests = new LinkedHashMap<>();
        report.tests().forEach((test, outcome) -> tests.put(test, outcome.label()));
        root.put("tests", tests);
        root.put("not_run", report.notRun());
        root.put("complete", report.missingTests().isEmpty());
        root.put("missing_tests", report.missingTests());
        return root;
    }

    static String toMarkdown(LabReport report, Environment environment, List<String> chartFiles) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(report.lab()).append(" — results (").append(report.scale().label()).append(" scale)\n\n");
        md.append(environment.summary()).append("\n\n");
        if (!report.metrics().isEmpty()) {
            md.append("| metric | value | unit | claim |\n|---|---:|---|---|\n");
            report.metrics().forEach((name, metric) -> md.append("| `").append(name).append("` | ")
                    .append(metric.formattedValue()).append(" | ").append(metric.unit()).append(" | ")
                    .append(metric.claim()).append(" |\n"));
            md.append('\n');
        }
        for (ReportTable table : report.tables()) {
            md.append("### ").append(table.title()).append("\n\n");
            md.append("| ").append(String.join(" | ", table.columns())).append(" |\n");
            md.append("|").append("---|".repeat(table.columns().size())).append('\n');
            for (List<Object> row : table.rows()) {
                md.append("| ").append(row.stream().map(ReportTable::cell).collect(Collectors.joining(" | "))).append(" |\n");
            }
            md.append('\n');
        }
        for (String chart : chartFiles) {
            md.append("![").append(chart).append("](").append(chart).append(")\n");
        }
        if (!report.tests().isEmpty()) {
            md.append("\n### Tests").append(report.missingTests().isEmpty() ? "" : " (partial run: " + report.missingTests().size()
                    + " of the lab's tests did not run)").append("\n\n| test | outcome |\n|---|---|\n");
            report.tests().forEach((test, outcome) -> md.append("| `").append(test).append("` | ").append(outcome.label()).append(" |\n"));
        }
        return md.toString();
    }

    private static String consoleTable(LabReport report, Path directory) {
        Map<String, Metric> metrics = report.metrics();
        int nameWidth = Math.max(6, metrics.keySet().stream().mapToInt(String::length).max().orElse(0));
        int valueWidth = Math.max(5, metrics.values().stream().mapToInt(m -> m.formattedValue().length()).max().orElse(0));
        StringBuilder out = new StringBuilder();
        out.append("\n").append(report.lab()).append(" results (").append(report.scale().label()).append(" scale")
                .append(report.missingTests().isEmpty() ? "" : ", partial run").append(") -> ").append(directory.resolve(RESULTS_FILE))
                .append('\n');
        String rowFormat = "  %-" + nameWidth + "s  %" + valueWidth + "s  %s%n";
        out.append(String.format(rowFormat, "metric", "value", "unit"));
        metrics.forEach((name, metric) -> out.append(String.format(rowFormat, name, metric.formattedValue(), metric.unit())));
        report.notRun().forEach((test, reason) -> out.append("  not run: ").append(test).append(" — ").append(reason).append('\n'));
        return out.toString();
    }
}
