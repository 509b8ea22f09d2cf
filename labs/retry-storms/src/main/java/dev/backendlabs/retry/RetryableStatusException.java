package dev.backendlabs.retry;

import java.io.IOException;
import java.net.URI;

/**
 * The dependency answered with a status worth another attempt (429, 500, 502, 503, 504): an {@link IOException}, so
 * that a {@link RetryPolicy} retries it like a timeout or a refused connection. Thrown to the caller when no retry is
 * left or allowed.
 */
public final class RetryableStatusException extends IOException {

    private final int status;

    public RetryableStatusException(URI uri, int status, String body) {
        super(uri + " answered " + status + ": " + body);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
