package dev.backendlabs.idempotency;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;

/**
 * THE PATTERN, local-only fast path: when a request only writes this database, the key, the work
 * and the stored answer go into one transaction — no lease to wait out, no recovery points, no
 * second commit. All three commit or none does, so a crash leaves nothing to resume (Brandur's
 * first advice: map the request to one transaction and skip the machinery; Wise's idempotence4j
 * commits the action and its result together).
 *
 * <p>A duplicate that arrives while the first is in flight waits on the uncommitted key row for at
 * most the store's lock timeout, then sees it committed and replays it; past the lock timeout it gets
 * 409 (SQLSTATE 55P03). Under a SERIALIZABLE or REPEATABLE READ pool the waiting insert fails with
 * 40001 instead, and the store runs the transaction again, which then replays.
 */
public final class SingleTransactionIdempotency {

    /** The endpoint's work, inside the key's transaction; its answer is committed with the key. */
    @FunctionalInterface
    public interface LocalWork {
        ApiResponse run(Connection connection, long keyId) throws SQLException;
    }

    private final IdempotencyStore store;

    public SingleTransactionIdempotency(IdempotencyStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    // region fast-path
    /** Runs {@code work} once per key: the key, the work and its answer commit together, or nothing does. */
    public ApiResponse execute(KeyScope scope, Fingerprint fingerprint, LocalWork work) throws SQLException {
        try {
            return store.inTransaction(connection -> switch (store.claim(connection, scope, fingerprint)) {
                case Claim.Answered answered -> answered.response();
                case Claim.Owned owned -> {
                    ApiResponse answer = work.run(connection, owned.lease().keyId());
                    store.finish(connection, owned.lease(), answer);
                    yield answer;
                }
            });
        } catch (SQLException e) {
            return store.conflict(e).response();
        }
    }
    // endregion
}
