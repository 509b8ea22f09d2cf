package dev.backendlabs.ratelimit;

/**
 * What a limiter answers when Redis cannot answer within its timeout.
 *
 * <p>Fail open for limits that protect fairness or cost (an API quota): a Redis outage should not
 * become an outage of the service, and Stripe reports running its limiters this way. Fail closed
 * for limits that protect safety (login attempts, payouts): letting everything through while
 * Redis is down is the attack. Either way the fallback is counted, so it is visible.
 */
public enum FailurePolicy {
    FAIL_OPEN,
    FAIL_CLOSED
}
