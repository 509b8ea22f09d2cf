package dev.backendlabs.retry;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * THE PATTERN: capped exponential backoff with full jitter — a wait drawn uniformly between 0 and
 * {@code min(cap, base × 2^(retry − 1))}. The cap is applied <em>before</em> the draw, so the spread never collapses:
 * clients that failed together keep drifting apart at every retry, including the retries at the cap. It is the backoff
 * of gRPC's retry design and of the AWS SDKs, and in Brooker's simulation the one that does the least work.
 *
 * @param base the ceiling of the first wait
 * @param cap  the ceiling of every wait
 */
public record FullJitterBackoff(Duration base, Duration cap) implements Backoff {

    public FullJitterBackoff {
        BackoffMath.requireBaseAndCap(base, cap);
    }

    // region full-jitter
    @Override
    public double delayMillis(int retry, RandomGenerator random) {
        double ceiling = BackoffMath.cappedExponential(base, cap, retry); // min(cap, base × 2^(retry − 1)): the cap first,
        return random.nextDouble() * ceiling;                              // then the draw, so waits never pile up at the cap
    }
    // endregion
}
