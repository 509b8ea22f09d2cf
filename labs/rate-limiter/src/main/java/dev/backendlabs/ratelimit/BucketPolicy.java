package dev.backendlabs.ratelimit;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A token bucket: it holds at most {@code capacity} tokens (the burst) and refills continuously
 * at {@code refillPerSecond}. Over any span of {@code t} seconds it admits at most
 * {@code capacity + refillPerSecond × t} tokens.
 *
 * <p>The rules are the script's, checked here before any round trip. The minimum rate,
 * {@code capacity / 10^15} (the bucket fills within 10^15 s), keeps the key's TTL — the time to
 * fill, in milliseconds — inside the range of {@code SET ... PX}: a slower bucket would make its
 * first write fail with a raw Redis error.
 *
 * @param capacity        integer from 1 to 10^9
 * @param refillPerSecond tokens per second, from {@code capacity / 10^15} to 10^9; fractions such as 0.001 work
 */
public record BucketPolicy(long capacity, BigDecimal refillPerSecond) {

    private static final long MAX = 1_000_000_000L;
    /** The script's {@code MAX_FILL_SECONDS}. */
    private static final double MAX_FILL_SECONDS = 1e15;
    private static final String CAPACITY_RULE = "an integer from 1 to 1000000000";
    private static final String RATE_RULE = "a decimal number of tokens per second from capacity / 1e15 to 1000000000";
    /** The script's {@code parse_decimal}: digits with at most one dot, then optionally an exponent. */
    private static final Pattern DECIMAL = Pattern.compile("(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?");
    private static final MathContext PRECISION = new MathContext(20, RoundingMode.HALF_EVEN);

    public BucketPolicy {
        if (capacity < 1 || capacity > MAX) {
            throw new RateLimitArgumentException("capacity", CAPACITY_RULE, capacity);
        }
        if (refillPerSecond == null) {
            throw new RateLimitArgumentException("rate", RATE_RULE, null);
        }
        BigDecimal given = refillPerSecond;
        refillPerSecond = refillPerSecond.round(PRECISION).stripTrailingZeros();
        // The script's check on the script's number: the double nearest to the text it receives (Java and Lua both
        // round decimal text correctly), with the same IEEE arithmetic, so both sides accept exactly the same rates.
        double rate = Double.parseDouble(refillPerSecond.toString());
        if (!(rate <= MAX) || rate * MAX_FILL_SECONDS < capacity) {
            throw new RateLimitArgumentException("rate", RATE_RULE, given);
        }
    }

    /** {@code capacity} tokens, refilled at {@code tokens} per {@code period}: {@code of(10, 1, Duration.ofDays(1))}. */
    public static BucketPolicy of(long capacity, long tokens, Duration period) {
        if (tokens < 1 || period == null || period.isNegative() || period.isZero()) {
            throw new RateLimitArgumentException("rate", RATE_RULE, tokens + " per " + period);
        }
        BigDecimal seconds = new BigDecimal(period.toNanos()).movePointLeft(9);
        return new BucketPolicy(capacity, BigDecimal.valueOf(tokens).divide(seconds, PRECISION));
    }

    /** {@code capacity} tokens, refilled at {@code perSecond} tokens per second. */
    public static BucketPolicy perSecond(long capacity, double perSecond) {
        if (!Double.isFinite(perSecond)) {
            throw new RateLimitArgumentException("rate", RATE_RULE, perSecond);
        }
        return new BucketPolicy(capacity, BigDecimal.valueOf(perSecond));
    }

    /**
     * {@code capacity} tokens, refilled at a rate given as text — from configuration, say — with
     * the script's grammar: {@code "0.5"}, {@code "1E-5"}, {@code "1.1574074074074073e-05"}. No
     * sign, spaces, hex, {@code inf} or {@code nan}.
     */
    public static BucketPolicy perSecond(long capacity, String perSecond) {
        if (perSecond == null || !DECIMAL.matcher(perSecond).matches()) {
            throw new RateLimitArgumentException("rate", RATE_RULE, perSecond);
        }
        try {
            return new BucketPolicy(capacity, new BigDecimal(perSecond));
        } catch (NumberFormatException exponentOutOfRange) {
            throw new RateLimitArgumentException("rate", RATE_RULE, perSecond);
        }
    }

    /** The rate as the script's {@code ARGV[2]}: a plain decimal, which reads better than an exponent in SLOWLOG and MONITOR. */
    String rateArgument() {
        return refillPerSecond.toPlainString();
    }

    /** How long an empty bucket takes to fill: the window of the equivalent "capacity per window" quota. */
    public Duration timeToFill() {
        BigDecimal nanos = BigDecimal.valueOf(capacity).divide(refillPerSecond, PRECISION).movePointRight(9);
        return Duration.ofNanos(nanos.setScale(0, RoundingMode.CEILING).min(BigDecimal.valueOf(Long.MAX_VALUE)).longValueExact());
    }

    /** The most a bucket can admit over {@code seconds}: capacity plus the refill. */
    public double admissionBound(double seconds) {
        return capacity + refillPerSecond.doubleValue() * seconds;
    }
}
