package dev.backendlabs.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.backendlabs.shared.report.Metric;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints the metric table of a lab run as the README's Results section must show it (values as
 * the reports format them), and refuses a run that cannot be a reference: a partial run, or one
 * where a test failed. {@code .ci/publish-reference} calls it.
 */
public final class ReferenceTable {

    private ReferenceTable() {
    }

    /** {@code args[0]}: a {@code results.json}. Exits 1, saying why, if the run cannot be a reference. */
    public static void main(String[] args) throws IOException {
        JsonNode results = new ObjectMapper().readTree(Path.of(args[0]).toFile());
        List<String> problems = problems(results);
        if (!problems.isEmpty()) {
            problems.forEach(problem -> System.err.println("not a reference run: " + problem));
            System.exit(1);
        }
        System.out.print(table(results));
    }

    static List<String> problems(JsonNode results) {
        List<String> problems = new ArrayList<>();
        if (!results.path("complete").asBoolean(false)) {
            problems.add("only part of the lab ran (missing: " + results.path("missing_tests") + ")");
        }
        results.path("tests").fields().forEachRemaining(test -> {
            if (!test.getValue().asText().equals("passed")) {
                problems.add(test.getKey() + " " + test.getValue().asText());
            }
        });
        return problems;
    }

    static String table(JsonNode results) {
        StringBuilder table = new StringBuilder("| metric | value | unit |\n|---|---:|---|\n");
        results.path("metrics").fields().forEachRemaining(metric -> table.append("| `").append(metric.getKey()).append("` | ")
                .append(Metric.format(metric.getValue().path("value").asDouble())).append(" | ")
                .append(metric.getValue().path("unit").asText()).append(" |\n"));
        return table.toString();
    }
}
