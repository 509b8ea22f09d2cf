package dev.backendlabs.idempotency;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/**
 * THE PATTERN, the key store: one row per key scope in {@code idempotency_keys}, claimed with
 * {@code INSERT … ON CONFLICT DO NOTHING RETURNING} — the only arbiter, so that two requests with the
 * same key can never both believe they own it — and committed before any slow work, because under
 * READ COMMITTED a second insert of the same key waits for the first transaction to end: a claim held
 * open across a 50 ms provider call would queue every duplicate behind it.
 *
 * <p>The loser of the insert reads the winner's row in a new statement (which sees it committed) and
 * answers from it: the stored answer if it finished, 422 if the request differs, 409 if it is leased,
 * or it takes the key over (a new fencing token) if the key was released or its owner died. The
 * lease's end is {@code clock_timestamp()} of the database, the one clock every instance shares; an
 * owner's every later write names its token, so one that stalled past its lease cannot overwrite the
 * owner that took over.
 *
 * <p>Every transaction sets {@code lock_timeout}, so a claim never waits long behind a locked row
 * (SQLSTATE 55P03 becomes 409), and is run again, up to three times, if it fails with 40001 — which
 * READ COMMITTED never raises, but a pool configured for REPEATABLE READ or SERIALIZABLE does when a
 * concurrent claim of the same key commits after the snapshot.
 */
public final class IdempotencyStore {

    private static final int ATTEMPTS = 3;

    private final DataSource dataSource;
    private final long leaseMillis;
    private final String lockTimeout;
    private final IdempotencyMetrics metrics = new IdempotencyMetrics();
    private final Retry serializationRetry;

    /**
     * @param lease       how long a claim owns its key before another request may take it over: longer than the slowest
     *                    provider call you will wait for (Brandur uses 90 s, the Quarkus extension 60 s)
     * @param lockTimeout how long a statement may wait for a row lock before the request is answered 409
     */
    public IdempotencyStore(DataSource dataSource, Duration lease, Duration lockTimeout) {
        if (lease.toMillis() < 1 || lockTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("lease and lock timeout must be at least 1 ms, got " + lease + " and " + lockTimeout);
        }
        this.dataSource = dataSource;
        this.leaseMillis = lease.toMillis();
        this.lockTimeout = lockTimeout.toMillis() + "ms";
        this.serializationRetry = Retry.of("idempotency-serialization-failure", RetryConfig.custom()
                .maxAttempts(ATTEMPTS)
                .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(Duration.ofMillis(2), 2.0))
                .retryOnException(SqlFailure.SERIALIZATION_FAILURE::is)
                .build());
        serializationRetry.getEventPublisher().onRetry(event -> metrics.serializationRetry());
    }

    /** A unit of work inside one of the store's transactions. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }

    public IdempotencyMetrics metrics() {
        return metrics;
    }

    /**
     * Runs {@code work} in one transaction with the store's lock timeout, committing at the end; rolled back on
     * any failure, and run again on SQLSTATE 40001 (up to three attempts in all).
     */
    public <T> T inTransaction(SqlWork<T> work) throws SQLException {
        try {
            return Retry.decorateCallable(serializationRetry, () -> once(work)).call();
        } catch (SQLException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("SqlWork throws only SQLException", e);
        }
    }

    private <T> T once(SqlWork<T> work) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                try (PreparedStatement timeout = connection.prepareStatement("SELECT set_config('lock_timeout', ?, true)")) {
                    timeout.setString(1, lockTimeout);
                    timeout.execute();
                }
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollback(connection, e);
                throw e;
            }
        }
    }

    /**
     * Claims the key in a transaction of its own, committed before the caller does anything slow. A row locked past
     * the lock timeout, or a serialization failure that three attempts did not resolve, is answered 409.
     */
    public Claim claim(KeyScope scope, Fingerprint fingerprint) throws SQLException {
        try {
            return inTransaction(connection -> claim(connection, scope, fingerprint));
        } catch (SQLException e) {
            return conflict(e);
        }
    }

    /**
     * The 409 for a transaction on a key that gave up on a row lock (55P03) or failed to serialize three times
     * (40001): both say "another request with this key is being written", and both are safe to retry with the key.
     *
     * @throws SQLException {@code failure} itself, for any other SQLSTATE
     */
    public Claim.InFlight conflict(SQLException failure) throws SQLException {
        Claim.InFlight conflict = switch (SqlFailure.of(failure)) {
            case LOCK_NOT_AVAILABLE -> {
                metrics.lockTimeout();
                yield new Claim.InFlight("The key is being written by another request right now; retry with the same key.");
            }
            case SERIALIZATION_FAILURE -> new Claim.InFlight("Concurrent requests with this key conflicted; retry with the same key.");
            default -> throw failure;
        };
        metrics.count(conflict);
        return conflict;
    }

    // region claim
    /** Claims the key inside the caller's transaction (the single-transaction fast path commits it with its work). */
    public Claim claim(Connection connection, KeyScope scope, Fingerprint fingerprint) throws SQLException {
        Optional<Lease> inserted = insert(connection, scope, fingerprint);
        Claim claim = inserted.isPresent()
                ? new Claim.Owned(inserted.get(), RecoveryPoint.STARTED)
                : existing(connection, scope, fingerprint);
        metrics.count(claim);
        return claim;
    }

    /** The loser's path: the winner's row decides. */
    private Claim existing(Connection connection, KeyScope scope, Fingerprint fingerprint) throws SQLException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Optional<StoredKey> stored = find(connection, scope);
            if (stored.isEmpty()) {
                return new Claim.InFlight("The key was removed while this request was claiming it; retry with the same key.");
            }
            StoredKey key = stored.get();
            if (!fingerprint.matches(key.fingerprint())) {
                return new Claim.Mismatch();
            }
            if (key.answer() != null) {
                return new Claim.Replay(key.answer());
            }
            if (key.locked()) {
                return new Claim.InFlight("A request with this key is in progress; retry with the same key.");
            }
            Optional<Claim.Owned> taken = takeOver(connection, key.id(), key.token());
            if (taken.isPresent()) {
                return taken.get();
            }
            // Another request took it over (or finished it) between the read and the update: read it again.
        }
        return new Claim.InFlight("A request with this key is in progress; retry with the same key.");
    }
    // endregion

    private Optional<Lease> insert(Connection connection, KeyScope scope, Fingerprint fingerprint) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(SqlStatements.get("claim"))) {
            bindScope(insert, scope);
            insert.setBytes(5, fingerprint.sha256());
            insert.setString(6, fingerprint.canonicalBody());
            insert.setLong(7, leaseMillis);
            try (ResultSet row = insert.executeQuery()) {
                return row.next() ? Optional.of(new Lease(row.getLong("id"), row.getLong("lease_token"))) : Optional.empty();
            }
        }
    }

    private Optional<StoredKey> find(Connection connection, KeyScope scope) throws SQLException {
        try (PreparedStatement find = connection.prepareStatement(SqlStatements.get("find"))) {
            bindScope(find, scope);
            try (ResultSet row = find.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                int status = row.getInt("response_status");
                ApiResponse answer = row.wasNull() ? null
                        : ApiResponse.replay(status, row.getString("response_headers"), row.getBytes("response_body"));
                return Optional.of(new StoredKey(row.getLong("id"), row.getBytes("fingerprint"), row.getLong("lease_token"),
                        row.getBoolean("locked"), answer));
            }
        }
    }

    /** Takes over an unleased, unfinished key whose token is still {@code token}; empty if someone else did first. */
    public Optional<Claim.Owned> takeOver(Connection connection, long keyId, long token) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(SqlStatements.get("take-over"))) {
            update.setLong(1, leaseMillis);
            update.setLong(2, keyId);
            update.setLong(3, token);
            try (ResultSet row = update.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                Lease lease = new Lease(keyId, row.getLong("lease_token"));
                return Optional.of(new Claim.Owned(lease, RecoveryPoint.of(row.getString("recovery_point"))));
            }
        }
    }

    /** Moves the key to {@code point} and renews the lease, in the caller's transaction, if {@code lease} still owns it. */
    public void advance(Connection connection, Lease lease, RecoveryPoint point) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(SqlStatements.get("advance"))) {
            update.setString(1, point.column());
            update.setLong(2, leaseMillis);
            update.setLong(3, lease.keyId());
            update.setLong(4, lease.token());
            fenced(update, lease, "recovery point " + point.column());
        }
    }

    /** Stores the answer and unlocks the key, in the caller's transaction, if {@code lease} still owns it. */
    public void finish(Connection connection, Lease lease, ApiResponse response) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(SqlStatements.get("finish"))) {
            update.setInt(1, response.status());
            update.setString(2, response.storedHeadersJson());
            update.setBytes(3, response.body());
            update.setLong(4, lease.keyId());
            update.setLong(5, lease.token());
            fenced(update, lease, "the answer");
        }
    }

    private void fenced(PreparedStatement update, Lease lease, String what) throws SQLException {
        if (update.executeUpdate() == 0) {
            metrics.fence();
            throw new LeaseLostException(lease, what);
        }
    }

    /** A write that found the key already recorded by a newer owner (23505): counted and reported as a lost lease. */
    LeaseLostException supersededBy(SQLException uniqueViolation, Lease lease, String what) {
        metrics.fence();
        return new LeaseLostException(lease, what, uniqueViolation);
    }

    /**
     * Unlocks the key after a transient failure, keeping its recovery point, so that a retry resumes at once instead
     * of waiting for the lease to run out. Best effort: if the database is unreachable the lease ends by itself.
     *
     * @return whether the key was unlocked
     */
    public boolean release(Lease lease) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement update = connection.prepareStatement(SqlStatements.get("release"))) {
            update.setLong(1, lease.keyId());
            update.setLong(2, lease.token());
            boolean released = update.executeUpdate() == 1;
            if (released) {
                metrics.release();
            }
            return released;
        } catch (SQLException e) {
            return false;
        }
    }

    private static void bindScope(PreparedStatement statement, KeyScope scope) throws SQLException {
        statement.setString(1, scope.tenant());
        statement.setString(2, scope.method());
        statement.setString(3, scope.route());
        statement.setString(4, scope.key());
    }

    /** Rolls back; a connection that is gone cannot, and the server has already rolled back its transaction. */
    private static void rollback(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            failure.addSuppressed(rollbackFailure);
        }
    }

    /** A key row as the loser of a claim reads it; {@code answer} is null until it finished. */
    private record StoredKey(long id, byte[] fingerprint, long token, boolean locked, ApiResponse answer) {
    }
}
