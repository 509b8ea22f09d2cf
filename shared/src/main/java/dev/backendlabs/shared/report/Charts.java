package dev.backendlabs.shared.report;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The charts of every lab, drawn with XChart in one house style. Axis titles must carry the
 * unit, e.g. {@code "depth (rows)"} or {@code "p50 latency (ms)"}; the factories refuse a title
 * without one so that no chart leaves the reader guessing.
 */
public final class Charts {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 540;

    static {
        // Charts are drawn in tests and on servers without a display.
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /** A line chart of numeric x against numeric y; add series with {@code chart.addSeries(name, xs, ys)}. */
    public static XYChart line(String title, String xAxisTitle, String yAxisTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(title).xAxisTitle(withUnit(xAxisTitle)).yAxisTitle(withUnit(yAxisTitle)).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartTitleVisible(true);
        chart.getStyler().setMarkerSize(6);
        return chart;
    }

    /** A bar chart of named categories; add series with {@code chart.addSeries(name, categories, values)}. */
    public static CategoryChart bars(String title, String xAxisTitle, String yAxisTitle) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title(title).xAxisTitle(withUnit(xAxisTitle)).yAxisTitle(withUnit(yAxisTitle)).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        return chart;
    }

    /** Axis titles name their unit in parentheses, e.g. {@code "throughput (requests/s)"}. */
    static String withUnit(String axisTitle) {
        if (axisTitle == null || !axisTitle.matches(".*\\(.+\\)\\s*$")) {
            throw new IllegalArgumentException("Axis title '" + axisTitle + "' must end with its unit in parentheses, e.g. 'latency (ms)'");
        }
        return axisTitle;
    }
}
