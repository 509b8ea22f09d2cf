package dev.backendlabs.shared.report;

/** How a test of a lab ended, as {@code results.json} records it; declared from best to worst. */
public enum TestOutcome {
    PASSED,
    DISABLED,
    /**
     * Not run, for a reason the test stated (an aborted assumption). The one allowed case: an
     * experiment that needs a tool outside Maven (PgBouncer) on a machine without it, outside CI.
     */
    ABORTED,
    FAILED;

    public String label() {
        return this == ABORTED ? "not run" : name().toLowerCase(java.util.Locale.ROOT);
    }
}
