package dev.backendlabs.idempotency;

import dev.backendlabs.idempotency.PaymentHooks.Step;
import dev.backendlabs.idempotency.PaymentProvider.ProviderResult;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;

/**
 * THE PATTERN, foreign side effect: {@code POST /payments} as atomic phases with recovery points
 * (Brandur Leach's design for Stripe-like keys). A charge lives in a system this database cannot roll
 * back, so it gets a phase of its own between two local transactions:
 *
 * <ol>
 *   <li>claim the key ({@code started}), committed — {@link IdempotencyStore#claim(KeyScope, Fingerprint)};</li>
 *   <li>call the provider with its own key, derived from our key's row, so that calling it again after a crash is
 *       the same charge, not a second one;</li>
 *   <li>record the charge as a payment and move to {@code charge_created}, in one transaction;</li>
 *   <li>stage the receipt, store the answer and move to {@code finished}, in one transaction.</li>
 * </ol>
 *
 * A retry, or the completer, resumes at the last committed recovery point. Every write is fenced by the
 * lease's token, so an owner that outlived its lease writes nothing. Which failures are stored and which
 * release the key for a retry is the {@link ErrorCaching} policy.
 */
public final class RecoveryPointPayments {

    public static final String METHOD = "POST";
    public static final String ROUTE = "/payments";
    private static final System.Logger LOG = System.getLogger(RecoveryPointPayments.class.getName());
    private static final int ATTEMPTS = 3;

    private final IdempotencyStore store;
    private final PaymentProvider provider;
    private final ErrorCaching caching;
    private final String providerKeyPrefix;
    private final PaymentHooks hooks;

    /**
     * @param providerKeyPrefix names this service and environment in the provider's keys ({@code payments-prod}), so that
     *                          two databases whose key ids overlap never share a provider key
     */
    public RecoveryPointPayments(IdempotencyStore store, PaymentProvider provider, ErrorCaching caching, String providerKeyPrefix,
                                 PaymentHooks hooks) {
        this.store = Objects.requireNonNull(store, "store");
        this.provider = Objects.requireNonNull(provider, "provider");
        this.caching = Objects.requireNonNull(caching, "caching");
        this.providerKeyPrefix = Objects.requireNonNull(providerKeyPrefix, "providerKeyPrefix");
        this.hooks = Objects.requireNonNull(hooks, "hooks");
    }

    /** The answer to one {@code POST /payments}: run, resumed, replayed, or refused with 409 or 422. */
    public ApiResponse pay(String tenant, String key, PaymentRequest request) {
        KeyScope scope = new KeyScope(tenant, METHOD, ROUTE, key);
        Fingerprint fingerprint = Fingerprint.of(scope, request.canonicalJson());
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Claim claim;
            try {
                claim = store.claim(scope, fingerprint);
            } catch (SQLException e) {
                return unavailable();
            }
            switch (claim) {
                case Claim.Answered answered -> {
                    return answered.response();
                }
                case Claim.Owned owned -> {
                    try {
                        return resume(owned, scope, request);
                    } catch (LeaseLostException superseded) {
                        // A newer owner has the key: answer from the key as it left it (its answer, or 409 while it runs).
                    }
                }
            }
        }
        return new Claim.InFlight("Another request with this key took it over; retry with the same key.").response();
    }

    // region resume
    /**
     * Runs an owned key from its recovery point to an answer: the request's own claim, a retry's take-over, or the
     * completer's.
     *
     * @throws LeaseLostException if a newer owner took the key over or recorded its charge first; nothing was written
     */
    public ApiResponse resume(Claim.Owned owned, KeyScope scope, PaymentRequest request) throws LeaseLostException {
        Lease lease = owned.lease();
        try {
            if (owned.recoveryPoint() == RecoveryPoint.STARTED) {
                hooks.reached(Step.CLAIMED);
                ProviderResult result = provider.charge(request, providerKey(lease.keyId()));
                hooks.reached(Step.PROVIDER_ANSWERED);
                switch (result) {
                    case ProviderResult.Declined declined -> {
                        return storeFinal(lease, declined(declined));
                    }
                    case ProviderResult.Failed failed -> {
                        return failed(lease, failed);
                    }
                    case ProviderResult.Charged charged -> {
                        recordCharge(lease, scope.tenant(), request, charged.chargeId());
                        hooks.reached(Step.CHARGE_RECORDED);
                    }
                }
            }
            ApiResponse created = finishPayment(lease);
            hooks.reached(Step.FINISHED);
            return created;
        } catch (LeaseLostException e) {
            throw e;
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.WARNING, "Key {0}: the database failed at a recovery point; unlocking it for a retry: {1}",
                    lease.keyId(), e.toString());
            store.release(lease);
            return unavailable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            store.release(lease);
            return unavailable();
        } catch (RuntimeException e) {
            store.release(lease);
            throw e;
        }
    }
    // endregion

    /** Phase 3: the payment row and {@code charge_created}, or nothing. */
    private void recordCharge(Lease lease, String tenant, PaymentRequest request, String chargeId) throws SQLException {
        store.inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(SqlStatements.get("record-charge"))) {
                insert.setString(1, tenant);
                insert.setLong(2, request.amount());
                insert.setString(3, request.currency());
                insert.setString(4, request.destination());
                insert.setString(5, chargeId);
                insert.setLong(6, lease.keyId());
                insert.executeQuery().close();
            } catch (SQLException e) {
                if (SqlFailure.KEY_EXISTS.is(e)) {
                    throw store.supersededBy(e, lease, "the charge");
                }
                throw e;
            }
            store.advance(connection, lease, RecoveryPoint.CHARGE_CREATED);
            return null;
        });
    }

    /** Phase 4: the receipt job, the stored 201 and {@code finished}, or nothing. */
    private ApiResponse finishPayment(Lease lease) throws SQLException {
        return store.inTransaction(connection -> {
            Payment payment = payment(connection, lease.keyId());
            try (PreparedStatement stage = connection.prepareStatement(SqlStatements.get("stage-receipt"))) {
                stage.setLong(1, payment.id());
                stage.executeUpdate();
            }
            ApiResponse created = payment.created();
            store.finish(connection, lease, created);
            return created;
        });
    }

    private static Payment payment(Connection connection, long keyId) throws SQLException {
        try (PreparedStatement find = connection.prepareStatement(SqlStatements.get("find-payment"))) {
            find.setLong(1, keyId);
            try (ResultSet row = find.executeQuery()) {
                if (!row.next()) {
                    throw new IllegalStateException("Key " + keyId + " is at charge_created without a payment");
                }
                return new Payment(row.getLong("id"), row.getLong("amount"), row.getString("currency"), row.getString("destination"),
                        row.getString("provider_charge_id"));
            }
        }
    }

    private ApiResponse failed(Lease lease, ProviderResult.Failed failure) throws SQLException {
        boolean stored = caching == ErrorCaching.STORE_EVERYTHING;
        String retry = stored ? "This answer is final for this key." : "Nothing was stored; retry with the same Idempotency-Key.";
        ApiResponse answer = failure.timedOut()
                ? ApiResponse.problem(504, "provider-timeout", "Payment provider timed out", failure.reason() + ". " + retry, Map.of())
                : ApiResponse.problem(502, "provider-failed", "Payment provider failed", failure.reason() + ". " + retry, Map.of());
        if (stored) {
            return storeFinal(lease, answer);
        }
        store.release(lease);
        return answer;
    }

    private ApiResponse storeFinal(Lease lease, ApiResponse answer) throws SQLException {
        return store.inTransaction(connection -> {
            store.finish(connection, lease, answer);
            return answer;
        });
    }

    private static ApiResponse declined(ProviderResult.Declined declined) {
        return ApiResponse.problem(402, "payment-declined", "Payment declined",
                "The provider refused the charge (" + declined.status() + "): " + declined.reason(), Map.of());
    }

    private static ApiResponse unavailable() {
        return ApiResponse.problem(503, "temporarily-unavailable", "Temporarily unavailable",
                "The payment service lost its database before it could answer. Retry with the same Idempotency-Key: the retry resumes "
                        + "where this request stopped.", Map.of("Retry-After", "1"));
    }

    /** The provider's idempotency key for a key row: the same for every retry, take-over and completion of it. */
    public String providerKey(long keyId) {
        return providerKeyPrefix + "-" + keyId;
    }
}
