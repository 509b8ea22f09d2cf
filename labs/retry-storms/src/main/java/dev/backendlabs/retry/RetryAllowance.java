package dev.backendlabs.retry;

/**
 * Whether a retry may happen at all, asked by {@link RetryPolicy} after a failed attempt that would otherwise be retried
 * (the attempt limit and the retryable failures are the {@code Retry}'s business). Shared by every call of a client and
 * thread-safe.
 */
public interface RetryAllowance {

    /** Takes permission for one retry; {@code false} ends the call with the failure it has. */
    boolean tryAcquireRetry();

    /** A call succeeded (whether or not it was retried). */
    void onSuccess();

    /** Retries permitted so far. */
    long retriesGranted();

    /** Retries refused so far. */
    long retriesDenied();
}
