package dev.backendlabs.ratelimit;

import java.math.BigDecimal;

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
        /** Redis could not decide (unreachable, too slow, or refusing: READONLY, OOM, ...) and the limiter fails open: allowed. */
        FAIL_OPEN,
        /** Redis could not decide and the limiter fails closed: denied. */
        FAIL_CLOSED
    }

    /** A denial that no amount of waiting fixes: the cost exceeds the capacity. */
    public boolean canNeverSucceed() {
        return !allowed && source == Source.REDIS && retryAfterMillis == -1;
    }
}
