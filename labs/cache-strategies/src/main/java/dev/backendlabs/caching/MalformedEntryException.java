package dev.backendlabs.caching;

/**
 * A cache entry that is not a valid product for its key: unreadable JSON, a missing or mistyped
 * field, a value out of range, another product's data. Thrown when such a value is read from
 * Redis, and when a loader produced one, so that it is never stored.
 */
public class MalformedEntryException extends RuntimeException {

    public MalformedEntryException(String message, Throwable cause) {
        super(message, cause);
    }

    public MalformedEntryException(String message) {
        super(message);
    }
}
