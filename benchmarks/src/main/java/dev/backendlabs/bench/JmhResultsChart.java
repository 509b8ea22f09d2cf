package dev.backendlabs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.backendlabs.shared.report.Charts;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Turns JMH JSON results ({@code -rf json}) into the committed reference chart and a Markdown
 * table: one bar per benchmark method, one series per thread count, on a log axis. The chart
 * has no error bars (XChart misdraws them on a log axis); the table carries JMH's 99.9 %
 * confidence interval.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.backendlabs.bench.JmhResultsChart \
 *     "Round trip on loopback" benchmarks/results/round-trip.png benchmarks/results/round-trip-*.json
 * </pre>
 */
public final class JmhResultsChart {

    /** The method's part of a label, for {@link #label}; JMH params are Java identifiers, so none is named this. */
    private static final String METHOD = "(method)";

    private JmhResultsChart() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: JmhResultsChart <title> <output.png> <jmh-result.json>...");
            System.exit(2);
        }
        List<JsonNode> results = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (int i = 2; i < args.length; i++) {
            json.readTree(Path.of(args[i]).toFile()).forEach(results::add);
        }
        CategoryChart chart = chart(args[0], results);
        BitmapEncoder.saveBitmap(chart, args[1], BitmapEncoder.BitmapFormat.PNG);
        System.out.print(markdown(results));
    }

    static CategoryChart chart(String title, List<JsonNode> results) {
        String unit = results.getFirst().path("primaryMetric").path("scoreUnit").asText();
        CategoryChart chart = Charts.bars(title, "benchmark (method)", "score (" + unit + ", log scale)");
        chart.getStyler().setYAxisLogarithmic(true);
        // Bars grow from the axis minimum, which a log axis must place above zero.
        double lowest = results.stream().mapToDouble(JmhResultsChart::score).min().orElse(1);
        chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(lowest))));
        // A method or parameter with one value in every result says nothing under a bar: the bars leave it out
        // (the method stays when nothing else would name the bar).
        Set<String> varying = results.stream().flatMap(result -> result.path("params").properties().stream())
                .map(Map.Entry::getKey).distinct()
                .filter(key -> results.stream().map(result -> result.path("params").path(key).asText()).distinct().count() > 1)
                .collect(Collectors.toCollection(HashSet::new));
        if (varying.isEmpty() || results.stream().map(result -> result.path("benchmark").asText()).distinct().count() > 1) {
            varying.add(METHOD);
        }
        Map<Integer, Map<String, Double>> byThreads = new TreeMap<>();
        for (JsonNode result : results) {
            byThreads.computeIfAbsent(result.path("threads").asInt(), t -> new LinkedHashMap<>())
                    .put(label(result, varying::contains), score(result));
        }
        // Every series spans every benchmark (XChart requires one category list); a benchmark run at
        // some thread counts only gets no bar (null) at the others.
        List<String> categories = results.stream().map(result -> label(result, varying::contains)).distinct().toList();
        if (categories.size() > 4) {
            // Vertical: XChart centres a rotated label on its tick, so a label at a slant ends under a
            // later bar, and the last labels fall off the image.
            chart.getStyler().setXAxisLabelRotation(90);
        }
        byThreads.forEach((threads, scores) -> chart.addSeries(threads + (threads == 1 ? " thread" : " threads"),
                categories, categories.stream().map(scores::get).toList()));
        return chart;
    }

    static String markdown(List<JsonNode> results) {
        StringBuilder md = new StringBuilder("| benchmark | threads | score | ± error (99.9 %) | unit |\n|---|---:|---:|---:|---|\n");
        for (JsonNode result : results) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %.3f | %.3f | %s |%n", label(result, key -> true),
                    result.path("threads").asInt(), score(result), error(result),
                    result.path("primaryMetric").path("scoreUnit").asText()));
        }
        return md.toString();
    }

    /**
     * {@code dev.backendlabs.bench.RoundTripBenchmark.redisPing} with params {@code a=1} → {@code redisPing a=1},
     * with only the parts {@code shown} ({@link #METHOD} for the method, a param's name for the param).
     */
    private static String label(JsonNode result, Predicate<String> shown) {
        String benchmark = result.path("benchmark").asText();
        StringJoiner label = new StringJoiner(" ");
        if (shown.test(METHOD)) {
            label.add(benchmark.substring(benchmark.lastIndexOf('.') + 1));
        }
        result.path("params").properties().stream().filter(p -> shown.test(p.getKey()))
                .forEach(p -> label.add(p.getKey() + '=' + p.getValue().asText()));
        return label.toString();
    }

    private static double score(JsonNode result) {
        return result.path("primaryMetric").path("score").asDouble();
    }

    /** JMH writes "NaN" when one iteration gives no interval. */
    private static double error(JsonNode result) {
        double error = result.path("primaryMetric").path("scoreError").asDouble();
        return Double.isFinite(error) ? error : 0;
    }
}
