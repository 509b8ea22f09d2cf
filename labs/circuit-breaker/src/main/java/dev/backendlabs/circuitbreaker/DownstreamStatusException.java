package dev.backendlabs.circuitbreaker;

/**
 * The dependency answered, with an error status. Deliberately not an {@link java.io.IOException}: to the JDK HttpClient a
 * 503 is a response like any other, so a circuit breaker told to record only {@code IOException} counts every 503 as a
 * success. A 4xx says the request was wrong (an unknown SKU), not that the dependency is unwell.
 */
public final class DownstreamStatusException extends Exception {

    private final int status;

    public DownstreamStatusException(int status) {
        super("the dependency answered " + status);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** A 4xx: the request's fault; the breaker ignores it and the retry does not repeat it. */
    public boolean isClientError() {
        return status >= 400 && status < 500;
    }

    /** Whether {@code error} is a 4xx answer: the predicate the breaker's {@code ignoreException} uses. */
    public static boolean isClientError(Throwable error) {
        return error instanceof DownstreamStatusException answer && answer.isClientError();
    }
}
