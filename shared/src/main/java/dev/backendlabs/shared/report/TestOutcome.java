package dev.backendlabs.shared.report;

/** How a test of a lab ended, as {@code results.json} records it; declared from best to worst. */
public enum TestOutcome {
    PASSED,
    DISABLED,
    /** Aborted by an assumption: the labs use none, so this should never appear. */
    ABORTED,
    FAILED;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
