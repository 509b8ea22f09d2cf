package dev.backendlabs.pagination;

/**
 * A cursor was not minted by this server for this listing: malformed, tampered with, signed with
 * another secret, from an unknown version, or minted for another sort or filter. The page is
 * refused (HTTP 400) rather than guessed, and no query runs.
 */
public final class InvalidCursorException extends InvalidPageRequestException {

    private static final long serialVersionUID = 1L;

    /** Why the cursor was refused; for logs and metrics, not for the client (it gets one message). */
    public enum Reason {
        MALFORMED,
        BAD_SIGNATURE,
        UNSUPPORTED_VERSION,
        OTHER_LISTING
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
