package dev.backendlabs.idempotency;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Finishes payments whose owner died: keys still locked by a lease that ran out more than
 * {@code idle} ago, which no client came back for. Each is taken over (a new fencing token, so a
 * stalled original owner cannot interfere) and driven from its recovery point by the same code as a
 * retry, sending the same provider key — so the provider sees one charge whether the crashed owner's
 * call reached it or not. Run it every minute or so; how many keys it finds is the number to alert on.
 */
public final class KeyCompleter {

    private final DataSource dataSource;
    private final IdempotencyStore store;
    private final RecoveryPointPayments payments;
    private final long idleMillis;
    private final int batchSize;

    public KeyCompleter(DataSource dataSource, IdempotencyStore store, RecoveryPointPayments payments, Duration idle, int batchSize) {
        if (idle.isNegative() || batchSize < 1) {
            throw new IllegalArgumentException("idle must be >= 0 and batch size >= 1, got " + idle + " and " + batchSize);
        }
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.store = Objects.requireNonNull(store, "store");
        this.payments = Objects.requireNonNull(payments, "payments");
        this.idleMillis = idle.toMillis();
        this.batchSize = batchSize;
    }

    /**
     * One pass over the stuck keys; returns how many it took over and ran to an answer — stored, or released by a
     * transient failure for the next pass or the client's retry.
     */
    public int completeStuck() throws SQLException {
        int completed = 0;
        for (StuckKey stuck : stuck()) {
            Optional<Claim.Owned> owned = store.inTransaction(connection -> store.takeOver(connection, stuck.id(), stuck.token()));
            if (owned.isEmpty()) {
                continue;  // a client's retry, or another completer, got there first
            }
            KeyScope scope = new KeyScope(stuck.tenant(), RecoveryPointPayments.METHOD, RecoveryPointPayments.ROUTE, stuck.key());
            try {
                payments.resume(owned.get(), scope, PaymentRequest.fromStored(stuck.request()));
                completed++;
            } catch (LeaseLostException e) {
                // Taken over again while this completer ran it: the newer owner finishes it.
            }
        }
        return completed;
    }

    private List<StuckKey> stuck() throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement find = connection.prepareStatement(SqlStatements.get("stuck"))) {
            find.setString(1, RecoveryPointPayments.METHOD);
            find.setString(2, RecoveryPointPayments.ROUTE);
            find.setLong(3, idleMillis);
            find.setInt(4, batchSize);
            List<StuckKey> keys = new ArrayList<>();
            try (ResultSet rows = find.executeQuery()) {
                while (rows.next()) {
                    keys.add(new StuckKey(rows.getLong("id"), rows.getLong("lease_token"), rows.getString("tenant"),
                            rows.getString("idempotency_key"), rows.getString("request_params")));
                }
            }
            return keys;
        }
    }

    private record StuckKey(long id, long token, String tenant, String key, String request) {
    }
}
