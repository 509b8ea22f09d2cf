package dev.backendlabs.retry;

import java.util.random.RandomGenerator;

/**
 * NAIVE: resilience4j's {@code IntervalFunction.ofExponentialRandomBackoff(initial, multiplier, randomizationFactor, max)},
 * reproduced with a seeded generator. The interval grows by {@code multiplier} (truncated to whole milliseconds at each
 * step), is randomized proportionally, uniformly on {@code [x(1 − f), x(1 + f) + 1)} (the {@code + 1} is resilience4j's),
 * and only then capped. Once {@code x(1 − f)} passes the cap every draw is the cap itself: the jitter is gone, and clients
 * keep whatever phase they had when they got there, retrying in the same waves forever. With (100 ms, ×2, 0.5, 1 s),
 * 25 % of the waits are exactly the cap at the 4th retry, 87.5 % at the 5th and all of them from the 6th.
 *
 * @param initialMillis       the interval before the first retry, at least 1
 * @param multiplier          growth per retry, at least 1
 * @param randomizationFactor the proportional spread {@code f}, from 0 to 1
 * @param maxMillis           the cap, applied after randomizing, at least 1
 */
public record CapAfterJitterBackoff(long initialMillis, double multiplier, double randomizationFactor, long maxMillis)
        implements Backoff {

    public CapAfterJitterBackoff {
        if (initialMillis < 1 || maxMillis < 1) {
            throw new IllegalArgumentException("initial and max intervals must be >= 1 ms, got " + initialMillis + " and " + maxMillis);
        }
        if (!(multiplier >= 1) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("multiplier must be a finite number >= 1, got " + multiplier);
        }
        if (!(randomizationFactor >= 0 && randomizationFactor <= 1)) {
            throw new IllegalArgumentException("randomizationFactor must be within 0 and 1, got " + randomizationFactor);
        }
    }

    // region cap-after-jitter
    @Override
    public double delayMillis(int retry, RandomGenerator random) {
        BackoffMath.requireRetry(retry);
        long interval = initialMillis;
        for (int i = 1; i < retry && interval < Long.MAX_VALUE; i++) {
            interval = (long) (interval * multiplier);             // grows, truncated, past the cap, as resilience4j does
        }
        double delta = randomizationFactor * interval;
        double randomized = interval - delta + random.nextDouble() * (2 * delta + 1);
        return Math.min((long) Math.max(1.0, randomized), maxMillis); // capped only after randomizing
    }
    // endregion
}
