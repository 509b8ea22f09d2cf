package dev.backendlabs.ratelimit;

import java.util.List;

/**
 * THE PATTERN, in one number: the generic cell rate algorithm (GCRA) of redis-cell,
 * go-redis/redis_rate and Rack's throttling gems, as one {@code EVALSHA} of {@code gcra.lua}.
 *
 * <p>The state is the theoretical arrival time (TAT): the microsecond at which the bucket would
 * be full again. A request of cost {@code n} fits if {@code now >= TAT + n × T - capacity × T},
 * {@code T = 1 / rate} being the emission interval, and moves the TAT to
 * {@code max(TAT, now) + n × T}. That is the token bucket of {@code policy}, with
 * {@code tokens = capacity - (TAT - now) × rate}: the two limiters give the same decisions and
 * replies, and the script takes the same arguments and keeps the same rules. One number instead
 * of two costs one conversion less per decision; see {@link ScriptedRateLimiter} for timeouts,
 * failures and keys.
 *
 * <pre>{@code
 * try (GcraRateLimiter limiter = GcraRateLimiter.builder(BucketPolicy.perSecond(100, 50))
 *         .redis(new HostAndPort("127.0.0.1", 6379))
 *         .build()) {
 *     Decision decision = limiter.tryAcquire("api:{customer-42}");
 * }
 * }</pre>
 */
public final class GcraRateLimiter extends ScriptedRateLimiter {

    static final String SCRIPT_RESOURCE = "gcra.lua";
    static final LuaScript SCRIPT = LuaScript.fromClasspath(SCRIPT_RESOURCE);

    private final BucketPolicy policy;

    private GcraRateLimiter(BucketPolicy policy, RateLimiterBuilder.Settings settings) {
        super(SCRIPT, settings, policy.capacity(), List.of(Long.toString(policy.capacity()), policy.rateArgument()));
        this.policy = policy;
    }

    /** A GCRA limit with burst {@code policy.capacity()} and emission interval {@code 1 / policy.refillPerSecond()}. */
    public static RateLimiterBuilder<GcraRateLimiter> builder(BucketPolicy policy) {
        return new RateLimiterBuilder<>(settings -> new GcraRateLimiter(policy, settings));
    }

    public BucketPolicy policy() {
        return policy;
    }
}
