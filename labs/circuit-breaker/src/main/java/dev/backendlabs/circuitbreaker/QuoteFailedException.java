package dev.backendlabs.circuitbreaker;

import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.TimeoutException;

/**
 * A quote could not be had, and why: each {@link Reason} is a different story for the operator (the breaker protected us,
 * the dependency is slow, the network is broken) and a different HTTP status for the user.
 */
public final class QuoteFailedException extends Exception {

    /** Why a quote failed, and the status {@link QuoteServer} answers with. */
    public enum Reason {
        /** The circuit breaker is open (or half-open with its probes taken): rejected without a call. */
        BREAKER_OPEN(503),
        /** As many calls as the bulkhead allows are already waiting on the dependency: rejected without a call. */
        BULKHEAD_FULL(503),
        /** The time limiter gave up waiting; the dependency may still be working on it. */
        TIME_LIMIT(504),
        /** The HTTP client's own request timeout fired first. */
        CLIENT_TIMEOUT(504),
        /** Connection refused, reset or cut. */
        NETWORK(502),
        /** The dependency answered an error status (5xx). */
        DOWNSTREAM_ERROR(502),
        /** The dependency does not know the SKU (404). */
        NOT_FOUND(404),
        /** The waiting thread was interrupted (the service is shutting down). */
        INTERRUPTED(503);

        private final int status;

        Reason(int status) {
            this.status = status;
        }

        /** The HTTP status the caller answers its own client with. */
        public int status() {
            return status;
        }
    }

    private final Reason reason;

    public QuoteFailedException(Reason reason, Throwable cause) {
        super(reason + ": " + cause, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /**
     * Classifies what a call to the dependency threw. An {@link InterruptedException} keeps the thread's interrupt flag set.
     *
     * @throws RuntimeException {@code error} itself if it is one: a bug, not an unavailable dependency
     */
    public static QuoteFailedException of(Exception error) {
        Reason reason = switch (error) {
            case CallNotPermittedException rejected -> Reason.BREAKER_OPEN;
            case BulkheadFullException full -> Reason.BULKHEAD_FULL;
            case TimeoutException limited -> Reason.TIME_LIMIT;
            case HttpTimeoutException timedOut -> Reason.CLIENT_TIMEOUT;
            case IOException network -> Reason.NETWORK;
            case DownstreamStatusException answer when answer.status() == 404 -> Reason.NOT_FOUND;
            case DownstreamStatusException answer -> Reason.DOWNSTREAM_ERROR;
            case InterruptedException interrupted -> {
                Thread.currentThread().interrupt();
                yield Reason.INTERRUPTED;
            }
            case RuntimeException bug -> throw bug;
            default -> throw new IllegalStateException("Unexpected failure calling the dependency", error);
        };
        return new QuoteFailedException(reason, error);
    }
}
