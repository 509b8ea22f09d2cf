package dev.backendlabs.retry;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * NAIVE: the same wait before every retry — resilience4j's default (500 ms), or no wait at all with {@link Duration#ZERO}
 * (the "no backoff" of Brooker's comparison). Clients that failed together retry together, every time.
 *
 * @param interval the wait before every retry, at least 0
 */
public record FixedBackoff(Duration interval) implements Backoff {

    public FixedBackoff {
        if (interval == null || interval.isNegative()) {
            throw new IllegalArgumentException("interval must be a duration >= 0, got " + interval);
        }
    }

    @Override
    public double delayMillis(int retry, RandomGenerator random) {
        BackoffMath.requireRetry(retry);
        return BackoffMath.millis(interval);
    }
}
