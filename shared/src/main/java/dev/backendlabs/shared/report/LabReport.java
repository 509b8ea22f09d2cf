package dev.backendlabs.shared.report;

import dev.backendlabs.shared.Scale;
import org.knowm.xchart.internal.chartpart.Chart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a lab run measured: named metrics, tables and charts. Tests add to it; at the end of the
 * run {@link ReportWriter} writes {@code results.json}, {@code report.md} and the charts, and
 * prints the metrics. Metric names are snake_case and stable, because issues and READMEs name them.
 * Thread-safe: experiments may record from several threads.
 */
public final class LabReport {

    private static final Pattern METRIC_NAME = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");
    private static final Pattern CHART_FILE = Pattern.compile("[a-z0-9][a-z0-9-]*\\.png");

    private final String lab;
    private final Scale scale;
    private final Map<String, Metric> metrics = new LinkedHashMap<>();
    private final List<ReportTable> tables = new ArrayList<>();
    private final Map<String, Chart<?, ?>> charts = new LinkedHashMap<>();
    private final Map<String, ChartSpec> declared = new LinkedHashMap<>();
    private final Map<String, TestOutcome> tests = new LinkedHashMap<>();
    private final Map<String, String> notRun = new LinkedHashMap<>();
    private final Set<String> expectedTests = new TreeSet<>();

    public LabReport(String lab, Scale scale) {
        this.lab = lab;
        this.scale = scale;
    }

    /**
     * Records a metric, replacing an earlier value of the same name.
     *
     * @throws IllegalArgumentException if {@code name} is not snake_case or the value is not finite
     */
    public synchronized LabReport metric(String name, double value, String unit, String claim) {
        if (!METRIC_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Metric names are snake_case ([a-z0-9_]), got '" + name + "'");
        }
        metrics.put(name, new Metric(value, unit, claim));
        return this;
    }

    public synchronized LabReport table(ReportTable table) {
        tables.add(table);
        return this;
    }

    /**
     * Adds a chart, saved as {@code fileName} (lower-case, dashes, {@code .png}) next to
     * {@code results.json}. Build it with {@link Charts} so every lab's charts look alike.
     */
    public synchronized LabReport chart(String fileName, Chart<?, ?> chart) {
        checkChartFile(fileName);
        if (declared.containsKey(fileName)) {
            throw new IllegalStateException("Chart " + fileName + " is declared for series; add series to it instead");
        }
        charts.put(fileName, chart);
        return this;
    }

    private static void checkChartFile(String fileName) {
        if (!CHART_FILE.matcher(fileName).matches()) {
            throw new IllegalArgumentException("Chart files are lower-case-with-dashes.png, got '" + fileName + "'");
        }
    }

    /**
     * Declares a line chart saved as {@code fileName}, or returns the one already declared with
     * the same title and axes, so that several tests can each add their series to it.
     */
    public ChartSpec line(String fileName, String title, String xAxis, String yAxis) {
        return declare(ChartSpec.Kind.LINE, fileName, title, xAxis, yAxis);
    }

    /** Declares a bar chart of named categories, as {@link #line} does for lines. */
    public ChartSpec bars(String fileName, String title, String xAxis, String yAxis) {
        return declare(ChartSpec.Kind.BARS, fileName, title, xAxis, yAxis);
    }

    private synchronized ChartSpec declare(ChartSpec.Kind kind, String fileName, String title, String xAxis, String yAxis) {
        checkChartFile(fileName);
        ChartSpec spec = declared.get(fileName);
        if (spec == null) {
            if (charts.containsKey(fileName)) {
                throw new IllegalStateException("Chart " + fileName + " was already added as a finished chart");
            }
            spec = new ChartSpec(kind, title, xAxis, yAxis);
            declared.put(fileName, spec);
        } else if (!spec.sameDeclaration(kind, title, Charts.withUnit(xAxis), Charts.withUnit(yAxis))) {
            throw new IllegalStateException("Chart " + fileName + " is declared twice with different titles or axes");
        }
        return spec;
    }

    /** Records how one test of the lab ended; the report says which ran and whether the run was complete. */
    public synchronized void testOutcome(String test, TestOutcome outcome) {
        tests.put(test, outcome);
    }

    /** Records that a test did not run, and why (shown in the console table and in {@code results.json}). */
    public synchronized void notRun(String test, String reason) {
        tests.put(test, TestOutcome.ABORTED);
        notRun.put(test, reason);
    }

    /** The tests that did not run, with the reason each gave. */
    public synchronized Map<String, String> notRun() {
        return new LinkedHashMap<>(notRun);
    }

    public synchronized Map<String, TestOutcome> tests() {
        return new LinkedHashMap<>(tests);
    }

    /** Names every test the lab has ({@code Class.method}), so that a run of only some of them is marked partial. */
    public synchronized void expectTests(Set<String> names) {
        expectedTests.addAll(names);
    }

    /** The lab's tests that did not run in this run: empty for a complete run. */
    public synchronized Set<String> missingTests() {
        Set<String> missing = new TreeSet<>(expectedTests);
        missing.removeAll(tests.keySet());
        return missing;
    }

    public String lab() {
        return lab;
    }

    public Scale scale() {
        return scale;
    }

    public synchronized Map<String, Metric> metrics() {
        return new LinkedHashMap<>(metrics);
    }

    public synchronized List<ReportTable> tables() {
        return List.copyOf(tables);
    }

    /** Every chart to write: finished ones as added, declared ones drawn now with their series (empty ones left out). */
    public synchronized Map<String, Chart<?, ?>> charts() {
        Map<String, Chart<?, ?>> all = new LinkedHashMap<>(charts);
        declared.forEach((file, spec) -> {
            if (!spec.isEmpty()) {
                all.put(file, spec.draw());
            }
        });
        return all;
    }

    public synchronized boolean isEmpty() {
        return metrics.isEmpty() && tables.isEmpty() && charts.isEmpty() && declared.values().stream().allMatch(ChartSpec::isEmpty)
                && tests.isEmpty();
    }
}
