package dev.backendlabs.shared.report;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A chart declared once and filled from any test of the run: each test adds its own series, and
 * the chart is drawn when the report is written. That replaces static arrays shared between a
 * {@code @Test} and an {@code @AfterAll} just to put two variants on one picture.
 *
 * <pre>{@code
 * report.line("admitted-over-time.png", "Admitted over time", "time (ms)", "admitted (requests)")
 *       .series("token bucket", times, counts);
 * }</pre>
 */
public final class ChartSpec {

    enum Kind { LINE, BARS }

    private final Kind kind;
    private final String title;
    private final String xAxis;
    private final String yAxis;
    private final List<Series> series = new ArrayList<>();
    private boolean logY;

    ChartSpec(Kind kind, String title, String xAxis, String yAxis) {
        this.kind = kind;
        this.title = Objects.requireNonNull(title, "title");
        this.xAxis = Charts.withUnit(xAxis);
        this.yAxis = Charts.withUnit(yAxis);
    }

    /** Adds a line (x and y of equal length); only for charts declared with {@link LabReport#line}. */
    public synchronized ChartSpec series(String name, double[] x, double[] y) {
        if (kind != Kind.LINE || x.length != y.length) {
            throw new IllegalArgumentException("Series '" + name + "' needs a line chart and as many x as y values (" + x.length + " vs "
                    + y.length + ")");
        }
        replace(new Series(name, x.clone(), y.clone(), null, null));
        return this;
    }

    /** Adds bars, one per category; only for charts declared with {@link LabReport#bars}. */
    public synchronized ChartSpec series(String name, List<String> categories, List<? extends Number> values) {
        if (kind != Kind.BARS || categories.size() != values.size()) {
            throw new IllegalArgumentException("Series '" + name + "' needs a bar chart and one value per category");
        }
        replace(new Series(name, null, null, List.copyOf(categories), List.copyOf(values)));
        return this;
    }

    /** A logarithmic y axis, for values that span orders of magnitude. */
    public synchronized ChartSpec logY() {
        this.logY = true;
        return this;
    }

    boolean sameDeclaration(Kind otherKind, String otherTitle, String otherX, String otherY) {
        return kind == otherKind && title.equals(otherTitle) && xAxis.equals(otherX) && yAxis.equals(otherY);
    }

    private void replace(Series added) {
        series.removeIf(existing -> existing.name.equals(added.name));
        series.add(added);
    }

    synchronized boolean isEmpty() {
        return series.isEmpty();
    }

    /** Draws the chart with every series added so far, in the order they were added. */
    synchronized Chart<?, ?> draw() {
        if (kind == Kind.LINE) {
            XYChart chart = Charts.line(title, xAxis, yAxis);
            chart.getStyler().setYAxisLogarithmic(logY);
            for (Series line : series) {
                chart.addSeries(line.name, line.x, line.y).setMarker(line.x.length > 40 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
            }
            return chart;
        }
        CategoryChart chart = Charts.bars(title, xAxis, yAxis);
        chart.getStyler().setYAxisLogarithmic(logY);
        for (Series bars : series) {
            chart.addSeries(bars.name, bars.categories, bars.values);
        }
        return chart;
    }

    private record Series(String name, double[] x, double[] y, List<String> categories, List<? extends Number> values) {
        @Override
        public String toString() {
            return name + (x == null ? " " + categories : " " + Arrays.toString(x));
        }
    }
}
