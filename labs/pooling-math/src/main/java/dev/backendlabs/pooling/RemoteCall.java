package dev.backendlabs.pooling;

/**
 * A call to something outside the database — a payment provider, another service — that takes
 * as long as it takes. Where it runs relative to the transaction decides how long a connection is
 * held.
 *
 * @param <R> what the call is made with, read from the database first
 * @param <T> the reply
 */
@FunctionalInterface
public interface RemoteCall<R, T> {

    T call(R request) throws Exception;
}
