/**
 * Rate limiting with a token bucket evaluated atomically in Redis
 * ({@link dev.backendlabs.ratelimit.TokenBucketRateLimiter}, {@code token_bucket.lua}), the naive
 * limiters it replaces ({@link dev.backendlabs.ratelimit.FixedWindowRateLimiter},
 * {@link dev.backendlabs.ratelimit.ReadModifyWriteRateLimiter}), the library peer
 * ({@link dev.backendlabs.ratelimit.Bucket4jRateLimiter}) and the HTTP mapping
 * ({@link dev.backendlabs.ratelimit.RateLimitHeaders}, {@link dev.backendlabs.ratelimit.RateLimitingFilter}).
 */
package dev.backendlabs.ratelimit;
