package dev.backendlabs.ratelimit;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * A token bucket: it holds at most {@code capacity} tokens (the burst) and refills continuously
 * at {@code refillPerSecond}. Over any span of {@code t} seconds it admits at most
 * {@code capacity + refillPerSecond × t} tokens.
 *
 * @param capacity        integer from 1 to 10^9
 * @param refillPerSecond tokens per second, above 0 and at most 10^9; fractions such as 0.001 work
 */
public record BucketPolicy(long capacity, BigDecimal refillPerSecond) {

    static final long MAX = 1_000_000_000L;
    private static final MathContext PRECISION = new MathContext(20, RoundingMode.HALF_EVEN);

    public BucketPolicy {
        if (capacity < 1 || capacity > MAX) {
            throw new RateLimitArgumentException("capacity", "an integer from 1 to 1000000000", capacity);
        }
        if (refillPerSecond == null || refillPerSecond.signum() <= 0 || refillPerSecond.compareTo(BigDecimal.valueOf(MAX)) > 0) {
            throw new RateLimitArgumentException("rate", "a decimal number of tokens per second above 0 and at most 1000000000", refillPerSecond);
        }
        refillPerSecond = refillPerSecond.round(PRECISION).stripTrailingZeros();
    }

    /** {@code capacity} tokens, refilled at {@code tokens} per {@code period}: {@code of(10, 1, Duration.ofDays(1))}. */
    public static BucketPolicy of(long capacity, long tokens, Duration period) {
        if (tokens < 1) {
            throw new RateLimitArgumentException("rate", "a decimal number of tokens per second above 0 and at most 1000000000", tokens + " per " + period);
        }
        if (period == null || period.isNegative() || period.isZero()) {
            throw new RateLimitArgumentException("rate", "a decimal number of tokens per second above 0 and at most 1000000000", tokens + " per " + period);
        }
        BigDecimal seconds = new BigDecimal(period.toNanos()).movePointLeft(9);
        return new BucketPolicy(capacity, BigDecimal.valueOf(tokens).divide(seconds, PRECISION));
    }

    /** {@code capacity} tokens, refilled at {@code perSecond} tokens per second. */
    public static BucketPolicy perSecond(long capacity, double perSecond) {
        if (!Double.isFinite(perSecond)) {
            throw new RateLimitArgumentException("rate", "a decimal number of tokens per second above 0 and at most 1000000000", perSecond);
        }
        return new BucketPolicy(capacity, BigDecimal.valueOf(perSecond));
    }

    /** The rate as the script's {@code ARGV[2]}: a plain decimal, never an exponent. */
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
