package dev.backendlabs.shared;

import java.util.Locale;

/**
 * How big an experiment runs: {@link #QUICK} by default (a lab in about two minutes on two
 * cores), {@link #FULL} with {@code -Dlabs.scale=full}.
 */
public enum Scale {
    QUICK,
    FULL;

    /** The scale of this run. */
    public static Scale current() {
        String value = System.getProperty("labs.scale", "quick").trim().toUpperCase(Locale.ROOT);
        try {
            return valueOf(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown -Dlabs.scale=" + value.toLowerCase(Locale.ROOT) + ": use quick or full", e);
        }
    }

    /** {@code quick} at the quick scale, {@code full} at the full scale. */
    public <T> T pick(T quick, T full) {
        return this == QUICK ? quick : full;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
