package dev.backendlabs.ratelimit;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.List;

/**
 * A sliding-window limit: at most {@code limit} admissions in any {@code window}. The rules are
 * the window scripts', checked here before any round trip.
 *
 * @param limit  integer from 1 to 10^9
 * @param window whole milliseconds, from 1 ms to 10^12 ms (31.7 years)
 */
public record WindowPolicy(long limit, Duration window) {

    private static final long MAX_LIMIT = 1_000_000_000L;
    private static final long MAX_WINDOW_MILLIS = 1_000_000_000_000L;
    private static final String LIMIT_RULE = "an integer from 1 to 1000000000";
    private static final String WINDOW_RULE = "an integer number of milliseconds from 1 to 1000000000000";

    public WindowPolicy {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new RateLimitArgumentException("limit", LIMIT_RULE, limit);
        }
        if (window == null || window.toNanos() % 1_000_000 != 0 || window.toMillis() < 1 || window.toMillis() > MAX_WINDOW_MILLIS) {
            throw new RateLimitArgumentException("window", WINDOW_RULE, window);
        }
    }

    /** {@code limit} admissions in any {@code window}: {@code of(1000, Duration.ofSeconds(1))}. */
    public static WindowPolicy of(long limit, Duration window) {
        return new WindowPolicy(limit, window);
    }

    /**
     * The window limit with the same quota as {@code bucket}: its capacity per its time to fill (rounded up to
     * whole milliseconds), the quota its {@code RateLimit-Policy} header advertises. A bucket of capacity 1,000 at
     * 1,000/s becomes 1,000 per second. Not the same limit: the bucket admits its capacity again on top of what it
     * refills over a window, the sliding log never more than the limit.
     */
    public static WindowPolicy sameQuotaAs(BucketPolicy bucket) {
        BigDecimal millis = new BigDecimal(bucket.timeToFill().toNanos()).movePointLeft(6).setScale(0, RoundingMode.CEILING);
        return new WindowPolicy(bucket.capacity(), Duration.ofMillis(millis.longValueExact()));
    }

    /** The scripts' {@code ARGV[1]} and {@code ARGV[2]}. */
    List<String> arguments() {
        return List.of(Long.toString(limit), Long.toString(window.toMillis()));
    }
}
