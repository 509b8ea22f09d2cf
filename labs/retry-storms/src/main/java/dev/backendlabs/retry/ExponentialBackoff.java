package dev.backendlabs.retry;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * NAIVE: capped exponential backoff without jitter, {@code min(cap, base × 2^(retry − 1))}. It spaces one client's
 * retries out, but clients that failed at the same moment still retry at the same moments: in Brooker's simulation of
 * contending clients it makes the most calls and finishes last ("the clear loser").
 *
 * @param base the wait before the first retry
 * @param cap  the longest wait
 */
public record ExponentialBackoff(Duration base, Duration cap) implements Backoff {

    public ExponentialBackoff {
        BackoffMath.requireBaseAndCap(base, cap);
    }

    @Override
    public double delayMillis(int retry, RandomGenerator random) {
        return BackoffMath.cappedExponential(base, cap, retry);
    }
}
