package dev.backendlabs.shared.http;

/**
 * How a {@link Downstream} is down during an outage window. The two modes hurt clients in opposite
 * ways: a dependency that {@linkplain #failFast(int) fails fast} costs its callers one round trip per
 * request, while one that {@linkplain #hang() hangs} (the process is frozen, or stuck on its own
 * dependency, but the kernel still accepts connections) holds every caller until the caller's own
 * timeout fires. Timeouts, circuit breakers and bulkheads exist because of the second kind.
 */
public sealed interface Outage {

    /** Answers every request with {@code status} at once, without doing any work. */
    static Outage failFast(int status) {
        return new FailFast(status);
    }

    /**
     * Holds every request until the window ends (or is cleared), then serves it as usual, by which
     * time its client has usually given up. The JDK server gives a handler no signal when its client
     * disconnects, so a held request is not released early; its answer then goes nowhere.
     */
    static Outage hang() {
        return new Hang();
    }

    /** See {@link #failFast(int)}; {@code status} is an error status (400 to 599). */
    record FailFast(int status) implements Outage {

        public FailFast {
            Faults.requireErrorStatus(status);
        }
    }

    /** See {@link #hang()}. */
    record Hang() implements Outage {
    }
}
