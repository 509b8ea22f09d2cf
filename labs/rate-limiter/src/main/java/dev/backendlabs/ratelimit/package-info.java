/**
 * Rate limiting evaluated atomically in Redis, one script call per decision: the token bucket
 * ({@link dev.backendlabs.ratelimit.TokenBucketRateLimiter}, {@code token_bucket.lua}) and GCRA
 * ({@link dev.backendlabs.ratelimit.GcraRateLimiter}, {@code gcra.lua}), on one Redis or a Redis
 * Cluster ({@link dev.backendlabs.ratelimit.RateLimiterBuilder}); the naive limiters they replace
 * ({@link dev.backendlabs.ratelimit.FixedWindowRateLimiter},
 * {@link dev.backendlabs.ratelimit.ReadModifyWriteRateLimiter}); the peers teams pick instead (the
 * library {@link dev.backendlabs.ratelimit.Bucket4jRateLimiter}, the sliding
 * {@link dev.backendlabs.ratelimit.SlidingWindowLogRateLimiter log} and
 * {@link dev.backendlabs.ratelimit.SlidingWindowCounterRateLimiter counter}); and the HTTP mapping
 * ({@link dev.backendlabs.ratelimit.RateLimitHeaders}, {@link dev.backendlabs.ratelimit.RateLimitingFilter}).
 */
package dev.backendlabs.ratelimit;
