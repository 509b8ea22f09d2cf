package dev.backendlabs.shared.report;

import java.util.Locale;
import java.util.Objects;

/**
 * One measured number of a lab, with its unit and the one-sentence claim it supports.
 *
 * @param value the measurement (finite)
 * @param unit  e.g. {@code requests}, {@code ms}, {@code events/s}, {@code ratio}
 * @param claim one sentence a reader can check against the value
 */
public record Metric(double value, String unit, String claim) {

    public Metric {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("A metric value must be finite, got " + value);
        }
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(claim, "claim");
    }

    /** The value as people read it: integers without decimals, others with three significant digits. */
    public String formattedValue() {
        return format(value);
    }

    /** The house formatting of a number, shared by reports, READMEs (the drift test) and the suite page. */
    public static String format(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return String.format(Locale.ROOT, "%d", (long) value);
        }
        double magnitude = Math.abs(value);
        if (magnitude >= 100) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        if (magnitude >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        if (magnitude >= 1) {
            return String.format(Locale.ROOT, "%.2f", value);
        }
        return String.format(Locale.ROOT, "%.3g", value);
    }
}
