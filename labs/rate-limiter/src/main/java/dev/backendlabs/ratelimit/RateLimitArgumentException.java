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

    /** The name of the offending argument: {@code capacity}, {@code rate}, {@code cost} or {@code key}. */
    public String argument() {
        return argument;
    }
}
