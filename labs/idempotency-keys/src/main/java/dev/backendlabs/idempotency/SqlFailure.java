package dev.backendlabs.idempotency;

import java.sql.SQLException;

/**
 * The three SQLSTATEs a key store must tell apart, each with one outcome, instead of a 500 for all
 * of them (idempot-js answered a lost race with 503 until it mapped 23505; idempotence4j missed lock
 * timeouts after a driver upgrade changed the exception type). Classified by SQLSTATE, which drivers
 * and pools pass through unchanged, never by exception class or message.
 */
public enum SqlFailure {

    /** 23505 unique_violation: the row is already there — another request or owner got first. Re-read the key and answer from it. */
    KEY_EXISTS("23505"),

    /**
     * 40001 serialization_failure: under REPEATABLE READ or SERIALIZABLE, the claim conflicted with a key committed after
     * its snapshot. Roll back and run the transaction again with a new snapshot (a bounded number of times), then 409.
     */
    SERIALIZATION_FAILURE("40001"),

    /** 55P03 lock_not_available: another transaction held the key's row past {@code lock_timeout}. 409 with Retry-After. */
    LOCK_NOT_AVAILABLE("55P03"),

    /** Anything else: the database failed. Unlock the key if possible, answer 503, store nothing. */
    OTHER(null);

    private final String sqlState;

    SqlFailure(String sqlState) {
        this.sqlState = sqlState;
    }

    public String sqlState() {
        return sqlState;
    }

    public static SqlFailure of(SQLException failure) {
        String state = failure.getSQLState();
        for (SqlFailure known : values()) {
            if (known.sqlState != null && known.sqlState.equals(state)) {
                return known;
            }
        }
        return OTHER;
    }

    /** Whether {@code failure} is an {@link SQLException} with this SQLSTATE. */
    public boolean is(Throwable failure) {
        return failure instanceof SQLException sql && of(sql) == this;
    }
}
