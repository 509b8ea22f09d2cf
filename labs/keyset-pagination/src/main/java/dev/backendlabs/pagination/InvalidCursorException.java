package dev.backendlabs.pagination;

/**
 * A cursor was not minted by this server for this listing and this caller: malformed, from an
 * unknown version, signed by a key this server does not hold (retired, or never its own), tampered
 * with, or minted for another table, sort or filter, or for another tenant or user. The page is
 * refused (HTTP 400) rather than guessed, and no query runs.
 */
public final class InvalidCursorException extends InvalidPageRequestException {

    private static final long serialVersionUID = 1L;

    /** Why the cursor was refused; for logs and metrics, not for the client (it gets one message). */
    public enum Reason {
        MALFORMED,
        UNSUPPORTED_VERSION,
        /** The key id names no key the codec holds: most often a key retired after a rotation. */
        UNKNOWN_KEY,
        BAD_SIGNATURE,
        /** Minted for another schema, table, sort or filter. */
        OTHER_LISTING,
        /** Minted for another tenant or user. */
        OTHER_SCOPE
    }

    private final Reason reason;

    public InvalidCursorException(Reason reason) {
        super("Invalid cursor (" + reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                + "): start again from the first page");
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
