package dev.backendlabs.retry;

import java.util.random.RandomGenerator;

/**
 * How long a caller waits before it retries. The wait matters less for how much load retries add (every failed attempt
 * is still retried) than for <em>when</em> that load arrives: clients that failed together and wait the same time retry
 * together, and a server that is recovering meets the whole crowd again at once. Jitter spreads them out.
 *
 * <p>Implementations are stateless and thread-safe: one instance serves every call, as resilience4j's interval function
 * does. Randomness comes from the generator the caller passes, so a seeded generator replays a run exactly (resilience4j's
 * own randomized interval functions draw from {@code Math.random()} and cannot be replayed).
 */
@FunctionalInterface
public interface Backoff {

    /**
     * The wait before a retry.
     *
     * @param retry  1 before the first retry (the second attempt), 2 before the next, and so on
     * @param random where the jitter comes from
     * @return milliseconds, at least 0
     * @throws IllegalArgumentException if {@code retry} is below 1
     */
    double delayMillis(int retry, RandomGenerator random);
}
