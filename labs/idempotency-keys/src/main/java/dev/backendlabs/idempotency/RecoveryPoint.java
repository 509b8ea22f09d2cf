package dev.backendlabs.idempotency;

/**
 * How far a request got, committed with the local work of each phase (Brandur Leach's atomic
 * phases). A retry, or the completer, resumes at the last recovery point and never repeats a phase
 * that committed: {@code started} (claimed; the provider may or may not have been called),
 * {@code charge_created} (the provider's charge is recorded as a payment), {@code finished} (the
 * answer is stored).
 */
public enum RecoveryPoint {
    STARTED("started"),
    CHARGE_CREATED("charge_created"),
    FINISHED("finished");

    private final String column;

    RecoveryPoint(String column) {
        this.column = column;
    }

    /** The value in {@code idempotency_keys.recovery_point}. */
    public String column() {
        return column;
    }

    static RecoveryPoint of(String column) {
        for (RecoveryPoint point : values()) {
            if (point.column.equals(column)) {
                return point;
            }
        }
        throw new IllegalStateException("Unknown recovery point " + column);
    }
}
