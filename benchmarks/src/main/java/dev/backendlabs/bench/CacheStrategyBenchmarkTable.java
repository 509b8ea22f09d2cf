package dev.backendlabs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Markdown table of {@link CacheStrategyBenchmark} results a reader takes in at a glance: one
 * row per thread count, skew and cache size; per strategy, operations per second and database
 * queries per operation (the {@code dbQueries} counter over the {@code requests} counter); and the fastest.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.backendlabs.bench.CacheStrategyBenchmarkTable benchmarks/results/cache-strategies-t*.json
 * </pre>
 */
public final class CacheStrategyBenchmarkTable {

    private static final List<String> STRATEGIES = List.of("NO_CACHE", "CACHE_ASIDE", "READ_THROUGH", "WRITE_THROUGH", "L1_L2");

    private CacheStrategyBenchmarkTable() {
    }

    public static void main(String[] args) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, Map<String, JsonNode>> rows = new TreeMap<>(Comparator.reverseOrder());
        for (String file : args) {
            for (JsonNode result : json.readTree(Path.of(file).toFile())) {
                JsonNode params = result.path("params");
                String row = String.format(Locale.ROOT, "%03d|%s|%s", result.path("threads").asInt(), params.path("skew").asText(),
                        params.path("cacheSize").asText());
                rows.computeIfAbsent(row, r -> new LinkedHashMap<>()).put(params.path("strategy").asText(), result);
            }
        }
        StringBuilder md = new StringBuilder("| threads | skew s | cache holds |");
        STRATEGIES.forEach(strategy -> md.append(' ').append(strategy.toLowerCase(Locale.ROOT)).append(" |"));
        md.append(" fastest |\n|---:|---:|---:|");
        STRATEGIES.forEach(strategy -> md.append("---:|"));
        md.append("---|\n");
        for (Map.Entry<String, Map<String, JsonNode>> row : rows.entrySet()) {
            String[] key = row.getKey().split("\\|");
            md.append(String.format(Locale.ROOT, "| %d | %s | %.0f %% |", Integer.parseInt(key[0]), key[1],
                    Double.parseDouble(key[2]) * 100));
            List<String> present = new ArrayList<>();
            for (String strategy : STRATEGIES) {
                JsonNode result = row.getValue().get(strategy);
                if (result == null) {
                    md.append(" — |");
                    continue;
                }
                present.add(strategy);
                double score = result.path("primaryMetric").path("score").asDouble();
                JsonNode counters = result.path("secondaryMetrics");
                double queries = counters.path("dbQueries").path("score").asDouble() / counters.path("requests").path("score").asDouble();
                md.append(String.format(Locale.ROOT, " %,.0f ops/s · %.2f q/op |", score, queries));
            }
            String fastest = present.stream().max(Comparator.comparingDouble(
                    strategy -> row.getValue().get(strategy).path("primaryMetric").path("score").asDouble())).orElse("—");
            md.append(' ').append(fastest.toLowerCase(Locale.ROOT)).append(" |\n");
        }
        System.out.print(md);
    }
}
