package dev.backendlabs.ratelimit;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;

/**
 * The answer to one request for tokens.
 *
 * @param allowed          whether the request may proceed
 * @param remaining        tokens left after the decision (rounded down; fractional)
 * @param retryAfterMillis -1 when allowed or when the cost can never be met; otherwise how long
 *                         until enough tokens exist (rounded up, at least 1)
 * @param resetAfterMillis how long until the bucket would be full again (rounded up)
 * @param source           whether Redis decided, or the failure policy did because Redis could not
 */
public record Decision(boolean allowed, BigDecimal remaining, long retryAfterMillis, long resetAfterMillis, Source source) {

    /** Who made the decision. */
    public enum Source {
        /** The script, on Redis. */
        REDIS,
        /** Redis could not answer in time and the limiter fails open: allowed. */
        FAIL_OPEN,
        /** Redis could not answer in time and the limiter fails closed: denied. */
        FAIL_CLOSED
    }

    /** A denial that no amount of waiting fixes: the cost exceeds the capacity. */
    public boolean canNeverSucceed() {
        return !allowed && source == Source.REDIS && retryAfterMillis == -1;
    }

    /** How long to wait before retrying, when waiting helps. */
    public Optional<Duration> retryAfter() {
        return retryAfterMillis > 0 ? Optional.of(Duration.ofMillis(retryAfterMillis)) : Optional.empty();
    }

    public Duration resetAfter() {
        return Duration.ofMillis(resetAfterMillis);
    }
}
