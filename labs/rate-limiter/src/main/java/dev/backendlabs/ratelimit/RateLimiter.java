package dev.backendlabs.ratelimit;

/** Decides whether a request identified by {@code key} may spend {@code cost} tokens now. */
public interface RateLimiter {

    Decision tryAcquire(String key, long cost);

    default Decision tryAcquire(String key) {
        return tryAcquire(key, 1);
    }
}
