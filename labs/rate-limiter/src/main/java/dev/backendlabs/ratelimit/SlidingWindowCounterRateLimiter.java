package dev.backendlabs.ratelimit;

/**
 * A PEER, approximate: the sliding counter Cloudflare described, the other limiter teams most
 * often pick instead of a token bucket. One {@code EVALSHA} of {@code sliding_window_counter.lua}
 * keeps two fixed-window counts per key and estimates the sliding window as the current count
 * plus the previous one, weighted by the share of the previous window still inside it.
 *
 * <p>Constant memory and no boundary doubling on even traffic, but the estimate assumes the
 * previous window's admissions were spread evenly. When they were bunched at its end — traffic
 * that starts in the middle of a window spends the whole limit at once — the real sliding window
 * holds more than the limit: 1.5 × the limit for a start in the middle of a window, up to twice
 * the limit for a start just before its end. The lab measures it
 * ({@code sliding_counter_peak_ratio}). See {@link ScriptedRateLimiter} for timeouts, failures
 * and keys.
 */
public final class SlidingWindowCounterRateLimiter extends ScriptedRateLimiter {

    static final String SCRIPT_RESOURCE = "sliding_window_counter.lua";
    static final LuaScript SCRIPT = LuaScript.fromClasspath(SCRIPT_RESOURCE);

    private final WindowPolicy policy;

    private SlidingWindowCounterRateLimiter(WindowPolicy policy, RateLimiterBuilder.Settings settings) {
        super(SCRIPT, settings, policy.limit(), policy.arguments());
        this.policy = policy;
    }

    public static RateLimiterBuilder<SlidingWindowCounterRateLimiter> builder(WindowPolicy policy) {
        return new RateLimiterBuilder<>(settings -> new SlidingWindowCounterRateLimiter(policy, settings));
    }

    public WindowPolicy policy() {
        return policy;
    }
}
