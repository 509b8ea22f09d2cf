package dev.backendlabs.outbox;

/** An event that must not enter the outbox; thrown before the transaction commits, so nothing is written. */
public final class InvalidEventException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public InvalidEventException(String message) {
        super(message);
    }
}
