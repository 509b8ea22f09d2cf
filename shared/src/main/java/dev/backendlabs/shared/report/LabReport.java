package dev.backendlabs.shared.report;

import dev.backendlabs.shared.Scale;
import org.knowm.xchart.internal.chartpart.Chart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        if (!CHART_FILE.matcher(fileName).matches()) {
            throw new IllegalArgumentException("Chart files are lower-case-with-dashes.png, got '" + fileName + "'");
        }
        charts.put(fileName, chart);
        return this;
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

    public synchronized Map<String, Chart<?, ?>> charts() {
        return new LinkedHashMap<>(charts);
    }

    public synchronized boolean isEmpty() {
        return metrics.isEmpty() && tables.isEmpty() && charts.isEmpty();
    }
}
