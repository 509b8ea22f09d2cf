package dev.backendlabs.retry;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Decorrelated jitter, {@code sleep = min(cap, uniform(base, 3 × previous sleep))}: each wait grows from the last one
 * drawn rather than from the retry number. In Brooker's simulation it finishes sooner than full jitter but does more
 * work. Near the cap it clamps: about two thirds of the draws land exactly on the cap once {@code 3 × previous} is
 * three times the cap (Thom Wright's observation), so it re-synchronizes clients there.
 *
 * <p>Not a {@link Backoff}: it keeps the previous sleep, so it is one instance per call (or per client, as in Brooker's
 * simulator), never shared. That is also why it cannot be plugged into resilience4j, whose interval function is one
 * function for every call of a {@code Retry} and sees only the attempt number.
 */
public final class DecorrelatedJitter {

    private final double baseMillis;
    private final double capMillis;
    private double sleepMillis;

    public DecorrelatedJitter(Duration base, Duration cap) {
        BackoffMath.requireBaseAndCap(base, cap);
        this.baseMillis = BackoffMath.millis(base);
        this.capMillis = BackoffMath.millis(cap);
        this.sleepMillis = baseMillis;
    }

    /** The wait before the next retry of this call, in milliseconds. */
    public double nextDelayMillis(RandomGenerator random) {
        sleepMillis = Math.min(capMillis, baseMillis + random.nextDouble() * (sleepMillis * 3 - baseMillis));
        return sleepMillis;
    }
}
