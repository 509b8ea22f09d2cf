package dev.backendlabs.shared.load;

import java.time.Duration;
import java.util.Map;

/**
 * What a {@link LoadRunner} run did.
 *
 * @param operations   operations attempted (successful and failed)
 * @param errors       operations that threw
 * @param errorsByType failed operations per exception class name
 * @param elapsed      from the start signal until the last worker finished
 * @param latency      latency of every attempted operation, failed ones included
 */
public record LoadResult(long operations, long errors, Map<String, Long> errorsByType, Duration elapsed, LatencySummary latency) {

    /** Attempted operations per second of elapsed time. */
    public double throughputPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds == 0 ? 0 : operations / seconds;
    }

    public long successes() {
        return operations - errors;
    }
}
