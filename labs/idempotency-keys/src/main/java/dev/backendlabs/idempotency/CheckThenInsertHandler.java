package dev.backendlabs.idempotency;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.backendlabs.idempotency.PaymentProvider.ProviderResult;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * NAIVE: look the key up, find nothing, charge, then insert the key with its answer — the check-then-act
 * that laravel-idempotency, grape-idempotency and Mastodon each shipped and fixed. It validates like
 * the pattern (the same {@code PaymentExchange}), stores the same answer and fingerprint in the same
 * table under the same unique constraint, and replays a key it finds (without comparing the
 * fingerprint: the race is this class's point, not a second bug). A retry that arrives after the
 * first request finished is answered correctly. A retry that arrives while the first is still charging — a client whose timeout
 * was shorter than the provider, a double click, a queue redelivering — finds nothing either, and
 * charges again. The unique constraint only notices at the insert, after the provider has charged
 * twice: the database holds one payment, the card was charged N times, and the losers get a 500.
 *
 * <p>It has no durable record of the attempt before it charges, so it has nothing stable to give the
 * provider as a key; it sends a fresh one per attempt, which is what such handlers do.
 */
public final class CheckThenInsertHandler implements HttpHandler {

    private final DataSource dataSource;
    private final PaymentProvider provider;
    private final int maxBodyBytes;

    public CheckThenInsertHandler(DataSource dataSource, PaymentProvider provider, int maxBodyBytes) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.provider = Objects.requireNonNull(provider, "provider");
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        PaymentExchange.serve(exchange, RecoveryPointPayments.ROUTE, maxBodyBytes, post -> {
            try {
                return pay(post);
            } catch (SQLException e) {
                return PaymentExchange.internalError();   // the loser of the insert's 23505: the client gets a 500
            }
        });
    }

    // region check-then-insert
    private ApiResponse pay(PaymentPost post) throws SQLException {
        KeyScope scope = new KeyScope(post.tenant(), RecoveryPointPayments.METHOD, RecoveryPointPayments.ROUTE, post.key());
        Optional<ApiResponse> stored = find(scope);                                          // 1. check: is the key there?
        if (stored.isPresent()) {
            return stored.get();
        }
        ProviderResult result = provider.charge(post.request(), UUID.randomUUID().toString()); // 2. act: not there, so charge
        if (!(result instanceof ProviderResult.Charged charged)) {
            return ApiResponse.problem(502, "provider-failed", "Payment provider failed", result.toString(), Map.of());
        }
        return insert(scope, post, charged.chargeId());                                      // 3. insert the key and its answer
    }
    // endregion

    private Optional<ApiResponse> find(KeyScope scope) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement find = connection.prepareStatement(SqlStatements.get("naive-find"))) {
            find.setString(1, scope.tenant());
            find.setString(2, scope.method());
            find.setString(3, scope.route());
            find.setString(4, scope.key());
            try (ResultSet row = find.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                return Optional.of(ApiResponse.replay(row.getInt("response_status"), row.getString("response_headers"),
                        row.getBytes("response_body")));
            }
        }
    }

    /** The payment and the key with its answer, in one transaction; a concurrent duplicate fails here with 23505. */
    private ApiResponse insert(KeyScope scope, PaymentPost post, String chargeId) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                long paymentId;
                try (PreparedStatement payment = connection.prepareStatement(SqlStatements.get("record-charge"))) {
                    payment.setString(1, post.tenant());
                    payment.setLong(2, post.request().amount());
                    payment.setString(3, post.request().currency());
                    payment.setString(4, post.request().destination());
                    payment.setString(5, chargeId);
                    payment.setNull(6, java.sql.Types.BIGINT);
                    try (ResultSet row = payment.executeQuery()) {
                        row.next();
                        paymentId = row.getLong(1);
                    }
                }
                PaymentRequest request = post.request();
                ApiResponse created = new Payment(paymentId, request.amount(), request.currency(), request.destination(), chargeId)
                        .created();
                try (PreparedStatement key = connection.prepareStatement(SqlStatements.get("naive-insert"))) {
                    key.setString(1, scope.tenant());
                    key.setString(2, scope.method());
                    key.setString(3, scope.route());
                    key.setString(4, scope.key());
                    key.setBytes(5, Fingerprint.of(scope, post.request().canonicalJson()).sha256());
                    key.setString(6, post.request().canonicalJson());
                    key.setInt(7, created.status());
                    key.setString(8, created.storedHeadersJson());
                    key.setBytes(9, created.body());
                    key.executeQuery().close();
                }
                connection.commit();
                return created;
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            }
        }
    }
}
