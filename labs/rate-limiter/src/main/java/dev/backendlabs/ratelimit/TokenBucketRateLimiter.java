package dev.backendlabs.ratelimit;

import java.util.List;

/**
 * THE PATTERN: a token-bucket rate limiter whose every decision is one {@code EVALSHA} of
 * {@code token_bucket.lua}: read, refill, decide and write happen atomically on the server, on
 * one key, with the server's clock. No interleaving of clients can over-admit, and no client
 * clock can skew the refill.
 *
 * <pre>{@code
 * try (TokenBucketRateLimiter limiter = TokenBucketRateLimiter.builder(BucketPolicy.perSecond(100, 50))
 *         .redis(new HostAndPort("127.0.0.1", 6379))
 *         .failurePolicy(FailurePolicy.FAIL_OPEN)
 *         .build()) {
 *     Decision decision = limiter.tryAcquire("api:{customer-42}");
 * }
 * }</pre>
 *
 * <p>The state is two numbers in one string, the tokens and the microsecond they were counted
 * at. {@link GcraRateLimiter} decides exactly the same with one number; see
 * {@link ScriptedRateLimiter} for timeouts, failures and keys.
 */
public final class TokenBucketRateLimiter extends ScriptedRateLimiter {

    static final String SCRIPT_RESOURCE = "token_bucket.lua";
    static final LuaScript SCRIPT = LuaScript.fromClasspath(SCRIPT_RESOURCE);

    private final BucketPolicy policy;

    private TokenBucketRateLimiter(BucketPolicy policy, RateLimiterBuilder.Settings settings) {
        super(SCRIPT, settings, policy.capacity(), List.of(Long.toString(policy.capacity()), policy.rateArgument()));
        this.policy = policy;
    }

    public static RateLimiterBuilder<TokenBucketRateLimiter> builder(BucketPolicy policy) {
        return new RateLimiterBuilder<>(settings -> new TokenBucketRateLimiter(policy, settings));
    }

    public BucketPolicy policy() {
        return policy;
    }
}
