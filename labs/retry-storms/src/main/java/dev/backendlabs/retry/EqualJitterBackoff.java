package dev.backendlabs.retry;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Capped exponential backoff with "equal" jitter: half of {@code min(cap, base × 2^(retry − 1))} for sure, the other
 * half drawn uniformly. It guarantees some wait, at a price: in Brooker's simulation it does slightly more work than
 * {@link FullJitterBackoff} and takes much longer.
 *
 * @param base the ceiling of the first wait
 * @param cap  the ceiling of every wait
 */
public record EqualJitterBackoff(Duration base, Duration cap) implements Backoff {

    public EqualJitterBackoff {
        BackoffMath.requireBaseAndCap(base, cap);
    }

    @Override
    public double delayMillis(int retry, RandomGenerator random) {
        double ceiling = BackoffMath.cappedExponential(base, cap, retry);
        return ceiling / 2 + random.nextDouble() * ceiling / 2;
    }
}
