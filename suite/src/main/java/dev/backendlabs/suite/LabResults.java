package dev.backendlabs.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.backendlabs.shared.report.Metric;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One lab as the suite sees it: the {@code results.json} of a run (the latest one, or the committed
 * reference run), the goals in {@code docs/goals.json}, and the claim in its README's title.
 */
public record LabResults(String lab, String claim, JsonNode results, List<Goal> goals) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A target for one metric, e.g. {@code e2e_p99_ms <= 500}.
     *
     * @param source where the target comes from (the lab's issue, a published figure)
     */
    public record Goal(String metric, String op, double target, String source) {

        public Goal {
            if (!List.of("<=", ">=", "==", "<", ">").contains(op)) {
                throw new IllegalArgumentException("Goal for " + metric + ": unknown comparison '" + op + "'");
            }
        }

        public boolean metBy(double value) {
            return switch (op) {
                case "<=" -> value <= target;
                case ">=" -> value >= target;
                case "<" -> value < target;
                case ">" -> value > target;
                default -> value == target;
            };
        }

        /** The goal as people read it: {@code ≤ 500}. */
        public String text() {
            String symbol = switch (op) {
                case "<=" -> "≤";
                case ">=" -> "≥";
                default -> op.equals("==") ? "=" : op;
            };
            return symbol + " " + Metric.format(target);
        }
    }

    /** Reads a lab folder; {@code results} is the run's {@code results.json}, or empty if the lab did not run. */
    public static Optional<LabResults> read(Path labFolder, Path resultsFile) {
        if (!Files.isRegularFile(resultsFile)) {
            return Optional.empty();
        }
        try {
            String lab = labFolder.getFileName().toString();
            return Optional.of(new LabResults(lab, claim(labFolder.resolve("README.md")), JSON.readTree(resultsFile.toFile()),
                    goals(labFolder.resolve("docs/goals.json"))));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the results of " + labFolder, e);
        }
    }

    /** The part of the README's first line after the pattern's name: {@code # Outbox: <claim>}. */
    static String claim(Path readme) throws IOException {
        if (!Files.isRegularFile(readme)) {
            return "";
        }
        String title = Files.readAllLines(readme).stream().filter(line -> line.startsWith("# ")).findFirst().orElse("");
        int colon = title.indexOf(':');
        return colon < 0 ? title.substring(Math.min(2, title.length())) : title.substring(colon + 1).trim();
    }

    static List<Goal> goals(Path file) throws IOException {
        List<Goal> goals = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return goals;
        }
        for (JsonNode goal : JSON.readTree(file.toFile()).path("goals")) {
            goals.add(new Goal(goal.path("metric").asText(), goal.path("op").asText(), goal.path("target").asDouble(),
                    goal.path("source").asText("")));
        }
        return goals;
    }

    public Optional<Double> metric(String name) {
        JsonNode metric = results.path("metrics").path(name);
        return metric.has("value") ? Optional.of(metric.path("value").asDouble()) : Optional.empty();
    }

    public String unit(String name) {
        return results.path("metrics").path(name).path("unit").asText("");
    }

    /** Test outcomes by name, as recorded by the run. */
    public Map<String, String> tests() {
        Map<String, String> tests = new LinkedHashMap<>();
        results.path("tests").fields().forEachRemaining(entry -> tests.put(entry.getKey(), entry.getValue().asText()));
        return tests;
    }

    /** {@code passed}: every test ran and passed; {@code failed}: one failed; {@code partial}: passed, but not all ran. */
    public String status() {
        Map<String, String> tests = tests();
        if (tests.values().stream().anyMatch(outcome -> !outcome.equals("passed"))) {
            return "failed";
        }
        return results.path("complete").asBoolean(false) && !tests.isEmpty() ? "passed" : "partial";
    }

    public List<String> charts() {
        List<String> charts = new ArrayList<>();
        results.path("charts").forEach(chart -> charts.add(chart.asText()));
        return charts;
    }

    /** The environment as one line: {@code embedded · postgres 17.6 · kafka 4.1.1 · java … · 2 cores · cpu}. */
    public String environment() {
        List<String> parts = new ArrayList<>();
        results.path("environment").fields().forEachRemaining(entry -> {
            String value = entry.getValue().asText();
            parts.add(switch (entry.getKey()) {
                case "backend", "cpu", "os" -> value;
                case "cores" -> value + " cores";
                default -> entry.getKey().toLowerCase(Locale.ROOT) + " " + value;
            });
        });
        return String.join(" · ", parts);
    }
}
