package dev.backendlabs.outbox;

import io.github.resilience4j.core.IntervalFunction;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter applied <em>after</em> the cap: attempt {@code n} waits a
 * uniformly random time in {@code [0, min(cap, initial × multiplier^(n-1)))}.
 *
 * <p>Why not resilience4j's {@code IntervalFunction.ofExponentialRandomBackoff(initial, multiplier,
 * randomization, cap)}: it randomizes first and caps second ({@code min(randomize(exponential),
 * cap)}). Once the exponential exceeds {@code cap / (1 - randomization)} every randomized value is
 * above the cap and every attempt waits exactly {@code cap}: relays that failed together (one broker
 * outage) then retry together, in lockstep, for as long as the outage lasts. Here the exponential
 * is capped first (resilience4j's {@code ofExponentialBackoff(initial, multiplier, cap)}) and the
 * jitter spreads the wait over the whole capped interval, so retries at the cap stay spread out.
 */
public final class FullJitterBackoff implements IntervalFunction {

    private final IntervalFunction capped;
    private final DoubleSupplier random;

    /** Full jitter drawn from {@link ThreadLocalRandom}. */
    public FullJitterBackoff(Duration initial, double multiplier, Duration cap) {
        this(initial, multiplier, cap, () -> ThreadLocalRandom.current().nextDouble());
    }

    /**
     * @param random uniform draws from {@code [0, 1)}; a test passes fixed values to check the
     *               interval deterministically
     */
    public FullJitterBackoff(Duration initial, double multiplier, Duration cap, DoubleSupplier random) {
        if (cap.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff: cap " + cap + " must be >= the initial interval " + initial);
        }
        this.capped = IntervalFunction.ofExponentialBackoff(initial, multiplier, cap);
        this.random = Objects.requireNonNull(random, "random");
    }

    /** A wait in milliseconds for attempt {@code attempt} (1 = the first retry). */
    @Override
    public Long apply(Integer attempt) {
        return (long) (random.getAsDouble() * capped.apply(attempt));
    }
}
