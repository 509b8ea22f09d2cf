package dev.backendlabs.idempotency;

import java.util.Map;

/** A charged payment, as {@code POST /payments} answers it: 201, its JSON, and its {@code Location}. */
public record Payment(long id, long amount, String currency, String destination, String chargeId) {

    ApiResponse created() {
        return ApiResponse.json(201, CanonicalJson.MAPPER.createObjectNode().put("id", id).put("status", "succeeded").put("amount", amount)
                .put("currency", currency).put("destination", destination).put("charge", chargeId),
                Map.of("Location", RecoveryPointPayments.ROUTE + "/" + id));
    }
}
