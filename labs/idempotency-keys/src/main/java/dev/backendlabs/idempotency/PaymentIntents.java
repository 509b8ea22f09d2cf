package dev.backendlabs.idempotency;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Map;

/**
 * {@code POST /payment-intents}: records that a payment is intended, and nothing else — a
 * local-only write, so its idempotency is {@link SingleTransactionIdempotency}: one transaction.
 */
public final class PaymentIntents {

    public static final String ROUTE = "/payment-intents";

    private PaymentIntents() {
    }

    /**
     * Inserts the intent in the caller's transaction and returns its 201.
     *
     * @param keyId the idempotency key's row, or null for a request without one
     */
    public static ApiResponse create(Connection connection, String tenant, PaymentRequest request, Long keyId) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(SqlStatements.get("insert-intent"))) {
            insert.setString(1, tenant);
            insert.setLong(2, request.amount());
            insert.setString(3, request.currency());
            insert.setString(4, request.destination());
            if (keyId == null) {
                insert.setNull(5, Types.BIGINT);
            } else {
                insert.setLong(5, keyId);
            }
            try (ResultSet row = insert.executeQuery()) {
                row.next();
                long id = row.getLong(1);
                return ApiResponse.json(201, CanonicalJson.MAPPER.createObjectNode().put("id", id).put("status", "requires_confirmation")
                        .put("amount", request.amount()).put("currency", request.currency()).put("destination", request.destination()),
                        Map.of("Location", ROUTE + "/" + id));
            }
        }
    }
}
