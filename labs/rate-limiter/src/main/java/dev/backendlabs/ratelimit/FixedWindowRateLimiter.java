package dev.backendlabs.ratelimit;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;

/**
 * NAIVE: the fixed-window counter found in countless tutorials and gateways — {@code INCRBY} a
 * per-window key, {@code EXPIRE} it on first use, allow while the count is within the limit.
 *
 * <p>Why it breaks: the window resets at the boundary, not relative to the traffic. A client that
 * spends the whole limit just before a boundary may spend it again just after, so up to
 * <b>2 × limit</b> requests pass within one window's length. The lab measures this against the
 * token bucket under the same load ({@code fixed_window_boundary_ratio},
 * {@code fixed_window_vs_bucket_peak_ratio}). It also takes two round trips, and a process that dies
 * between {@code INCRBY} and {@code EXPIRE} leaves a key that never expires.
 */
public final class FixedWindowRateLimiter implements RateLimiter {

    private final JedisPool pool;
    private final long limit;
    private final long windowMillis;
    private final Clock clock;

    /**
     * @param limit  requests allowed per window
     * @param window window length
     * @param clock  the application server's clock (the usual choice, and part of the problem)
     */
    public FixedWindowRateLimiter(JedisPool pool, long limit, Duration window, Clock clock) {
        if (limit < 1) {
            throw new RateLimitArgumentException("capacity", "an integer from 1 to 1000000000", limit);
        }
        this.pool = pool;
        this.limit = limit;
        this.windowMillis = window.toMillis();
        this.clock = clock;
    }

    /** The window a timestamp falls in; windows start at multiples of the window length. */
    private long windowOf(long epochMillis) {
        return epochMillis / windowMillis;
    }

    @Override
    public Decision tryAcquire(String key, long cost) {
        RateLimitArgumentException.checkRequest(key, cost);
        long now = clock.millis();
        long window = windowOf(now);
        String windowKey = key + ":" + window;
        try (Jedis jedis = pool.getResource()) {
            long count = jedis.incrBy(windowKey, cost);
            if (count == cost) {
                jedis.pexpire(windowKey, windowMillis);
            }
            long resetAfter = (window + 1) * windowMillis - now;
            boolean allowed = count <= limit;
            return new Decision(allowed, BigDecimal.valueOf(Math.max(0, limit - count)),
                    allowed ? -1 : resetAfter, resetAfter, Decision.Source.REDIS);
        }
    }
}
