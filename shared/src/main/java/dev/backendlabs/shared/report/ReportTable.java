package dev.backendlabs.shared.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A titled table of results, e.g. latency by depth. Cells are numbers or strings; numbers are
 * kept as numbers in {@code results.json} and formatted like {@link Metric} values in Markdown.
 */
public final class ReportTable {

    private final String title;
    private final List<String> columns;
    private final List<List<Object>> rows = new ArrayList<>();

    private ReportTable(String title, List<String> columns) {
        this.title = Objects.requireNonNull(title, "title");
        this.columns = List.copyOf(columns);
        if (this.columns.isEmpty()) {
            throw new IllegalArgumentException("A table needs at least one column");
        }
    }

    public static ReportTable of(String title, String... columns) {
        return new ReportTable(title, List.of(columns));
    }

    /** Adds a row; it must have one cell per column. */
    public synchronized ReportTable row(Object... cells) {
        if (cells.length != columns.size()) {
            throw new IllegalArgumentException("Table '" + title + "' has " + columns.size() + " columns, row has " + cells.length);
        }
        rows.add(List.of(cells));
        return this;
    }

    public String title() {
        return title;
    }

    public List<String> columns() {
        return columns;
    }

    public synchronized List<List<Object>> rows() {
        return List.copyOf(rows);
    }

    static String cell(Object value) {
        if (value instanceof Double || value instanceof Float) {
            return Metric.format(((Number) value).doubleValue());
        }
        return String.valueOf(value);
    }
}
