package dev.backendlabs.ratelimit;

/**
 * A rate-limiter argument is invalid. Raised in Java before any round trip to Redis, with the
 * same wording as the Lua script's {@code ERR rate-limiter:} errors, so nothing is changed.
 */
public final class RateLimitArgumentException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String argument;

    public RateLimitArgumentException(String argument, String rule, Object value) {
        super("rate-limiter: " + argument + " must be " + rule + ", got '" + value + "'");
        this.argument = argument;
    }

    /** The checks every limiter makes before any round trip: a non-blank key and a cost of at least 0. */
    static void checkRequest(String key, long cost) {
        if (key == null || key.isBlank()) {
            throw new RateLimitArgumentException("key", "a non-blank Redis key", key);
        }
        if (cost < 0) {
            throw new RateLimitArgumentException("cost", "an integer >= 0", cost);
        }
    }

    /** The name of the offending argument: {@code capacity}, {@code rate}, {@code limit}, {@code window}, {@code cost} or {@code key}. */
    public String argument() {
        return argument;
    }
}
