package dev.backendlabs.idempotency;

import java.sql.SQLException;

/**
 * A fenced write matched no row: another owner took the key over (this one's lease ran out), or
 * already recorded what this one was about to record. The transaction is rolled back; the request is
 * answered from the key as the newer owner left it, never by overwriting it.
 */
public final class LeaseLostException extends SQLException {

    private static final long serialVersionUID = 1L;

    public LeaseLostException(Lease lease, String what) {
        super("Key " + lease.keyId() + ": token " + lease.token() + " no longer owns it; " + what + " was not written");
    }

    public LeaseLostException(Lease lease, String what, SQLException cause) {
        super("Key " + lease.keyId() + ": token " + lease.token() + " no longer owns it; " + what + " was not written", cause);
    }
}
