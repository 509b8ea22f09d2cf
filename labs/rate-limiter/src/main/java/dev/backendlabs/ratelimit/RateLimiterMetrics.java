package dev.backendlabs.ratelimit;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one limiter, cheap enough for the hot path (LongAdder). Export them to your
 * metrics system; the ones to alert on are {@link #redisFailures()} (the limiter is deciding
 * blind) and a rising {@link #nearLimit()} (callers close to their quota).
 */
public final class RateLimiterMetrics {

    /** A decision is "near the limit" when an allowed request leaves less than this share of capacity. */
    public static final double NEAR_LIMIT_SHARE = 0.2;

    private final LongAdder allowed = new LongAdder();
    private final LongAdder denied = new LongAdder();
    private final LongAdder nearLimit = new LongAdder();
    private final LongAdder redisFailures = new LongAdder();
    private final LongAdder failOpenAdmits = new LongAdder();
    private final LongAdder failClosedDenials = new LongAdder();
    private final LongAdder scriptReloads = new LongAdder();

    void recordDecision(Decision decision, long capacity) {
        if (decision.allowed()) {
            allowed.increment();
            if (decision.remaining().doubleValue() < capacity * NEAR_LIMIT_SHARE) {
                nearLimit.increment();
            }
        } else {
            denied.increment();
        }
    }

    void recordFallback(FailurePolicy policy) {
        redisFailures.increment();
        (policy == FailurePolicy.FAIL_OPEN ? failOpenAdmits : failClosedDenials).increment();
    }

    void recordScriptReload() {
        scriptReloads.increment();
    }

    /** Requests Redis allowed. */
    public long allowed() {
        return allowed.sum();
    }

    /** Requests Redis denied. */
    public long denied() {
        return denied.sum();
    }

    /** Allowed requests that left less than {@value #NEAR_LIMIT_SHARE} of capacity. */
    public long nearLimit() {
        return nearLimit.sum();
    }

    /** Decisions Redis could not make (unreachable, timed out, or refusing: READONLY, OOM, ...); the failure policy answered. */
    public long redisFailures() {
        return redisFailures.sum();
    }

    public long failOpenAdmits() {
        return failOpenAdmits.sum();
    }

    public long failClosedDenials() {
        return failClosedDenials.sum();
    }

    /** Times the script was missing (NOSCRIPT after SCRIPT FLUSH, a restart or a failover) and loaded again. */
    public long scriptReloads() {
        return scriptReloads.sum();
    }
}
