package dev.backendlabs.shared.backend;

/**
 * A backend could not be started or reached. The message names the server, the mode that was
 * tried, the cause and how to pick another mode, so that a failing run explains itself.
 */
public final class BackendStartException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BackendStartException(String server, BackendMode mode, String detail, Throwable cause) {
        super(message(server, mode, detail, cause), cause);
    }

    private static String message(String server, BackendMode mode, String detail, Throwable cause) {
        String why = cause == null ? "" : ": " + rootMessage(cause);
        return server + " could not be started in backend mode '" + mode.label() + "' (" + detail + ")" + why
                + ". Choose a mode with -Dlabs.backend=docker|embedded|external or the LABS_BACKEND variable"
                + " (external reads LABS_PG_URL, LABS_REDIS_URL, LABS_KAFKA_BOOTSTRAP; see README, 'Backends').";
    }

    private static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root.getMessage() == null ? "" : ": " + root.getMessage();
        return root == error ? error.getClass().getSimpleName() + text
                : error.getClass().getSimpleName() + " caused by " + root.getClass().getSimpleName() + text;
    }
}
