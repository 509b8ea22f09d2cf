package dev.backendlabs.outbox;

/** A relay pass failed (Kafka unavailable or slow); its rows were left in the outbox for the next pass. */
public final class RelayException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RelayException(String message, Throwable cause) {
        super(message, cause);
    }
}
