package dev.backendlabs.retry;

import java.time.Duration;

/** Argument checks and the capped exponential every backoff here starts from. */
final class BackoffMath {

    private BackoffMath() {
    }

    /** {@code min(cap, base × 2^(retry − 1))} in milliseconds; no overflow however many retries (doubles saturate at the cap). */
    static double cappedExponential(Duration base, Duration cap, int retry) {
        requireRetry(retry);
        return Math.min(millis(cap), Math.scalb(millis(base), Math.min(retry - 1, Double.MAX_EXPONENT)));
    }

    static double millis(Duration duration) {
        return duration.toNanos() / 1e6;
    }

    static void requireRetry(int retry) {
        if (retry < 1) {
            throw new IllegalArgumentException("retry counts from 1 (the wait before the second attempt), got " + retry);
        }
    }

    /** Positive durations, and a cap no smaller than the base. */
    static void requireBaseAndCap(Duration base, Duration cap) {
        requirePositive("base", base);
        requirePositive("cap", cap);
        if (cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("cap must be >= base, got base " + base + " and cap " + cap);
        }
    }

    static void requirePositive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + value);
        }
    }
}
