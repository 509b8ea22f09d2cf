package dev.backendlabs.ratelimit;

/**
 * A PEER, exact: the sliding log, one of the two limiters teams most often pick instead of a token
 * bucket. One {@code EVALSHA} of {@code sliding_window_log.lua} keeps a sorted set per key with
 * the time of every admission and admits while fewer than {@code limit} of them fall in the last
 * {@code window}: never more than the limit in any window, and no burst allowance on top of it.
 *
 * <p>The price is memory: one member (about a hundred bytes) per admitted unit of cost in the
 * window, where a token bucket keeps one short string. At 1,000 admissions per second and a one
 * second window that is a sorted set of 1,000 members per key, which is why the script takes
 * weighted costs only up to {@value #MAX_COST}. See {@link ScriptedRateLimiter} for timeouts,
 * failures and keys.
 */
public final class SlidingWindowLogRateLimiter extends ScriptedRateLimiter {

    static final String SCRIPT_RESOURCE = "sliding_window_log.lua";
    static final LuaScript SCRIPT = LuaScript.fromClasspath(SCRIPT_RESOURCE);
    /** The script's {@code MAX_COST}: each unit of cost is one member of the sorted set. */
    static final long MAX_COST = 1000;

    private final WindowPolicy policy;

    private SlidingWindowLogRateLimiter(WindowPolicy policy, RateLimiterBuilder.Settings settings) {
        super(SCRIPT, settings, policy.limit(), policy.arguments());
        this.policy = policy;
    }

    public static RateLimiterBuilder<SlidingWindowLogRateLimiter> builder(WindowPolicy policy) {
        return new RateLimiterBuilder<>(settings -> new SlidingWindowLogRateLimiter(policy, settings));
    }

    public WindowPolicy policy() {
        return policy;
    }

    @Override
    void checkCost(long cost) {
        if (cost > MAX_COST) {
            throw new RateLimitArgumentException("cost", "an integer from 0 to 1000 (the log keeps one member per unit)", cost);
        }
    }
}
