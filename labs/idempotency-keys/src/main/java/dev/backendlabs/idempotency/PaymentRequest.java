package dev.backendlabs.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /payments} and {@code POST /payment-intents}:
 * {@code {"amount": 1250, "currency": "EUR", "destination": "acct_42"}}, the amount in minor units.
 * Parsing is strict — unknown or missing fields, a fractional amount, a duplicate property — because
 * whatever a lenient parser ignored would still be part of the fingerprint, and two bodies that mean
 * the same payment must not fingerprint differently.
 *
 * @param canonicalJson the body in {@link CanonicalJson} form: what is fingerprinted, stored and sent to the provider
 */
public record PaymentRequest(long amount, String currency, String destination, String canonicalJson) {

    public static final long MAX_AMOUNT = 100_000_000;
    private static final Set<String> FIELDS = Set.of("amount", "currency", "destination");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
    private static final Pattern DESTINATION = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** Reads and validates a body; the exception is the 400 the client gets. */
    public static PaymentRequest parse(byte[] body) throws InvalidRequestException {
        JsonNode json;
        try {
            json = CanonicalJson.parse(body);
        } catch (JsonProcessingException e) {
            throw new InvalidRequestException(400, "malformed-json", "Malformed JSON",
                    "The body is not one JSON value: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            throw invalid("The body must be a JSON object with amount, currency and destination.");
        }
        Set<String> unknown = new TreeSet<>();
        json.fieldNames().forEachRemaining(unknown::add);
        unknown.removeAll(FIELDS);
        if (!unknown.isEmpty()) {
            throw invalid("Unknown fields " + unknown + "; the fields are amount, currency and destination.");
        }
        JsonNode amount = json.path("amount");
        if (!amount.isIntegralNumber() || !amount.canConvertToLong() || amount.asLong() < 1 || amount.asLong() > MAX_AMOUNT) {
            throw invalid("amount must be a whole number of minor units from 1 to " + MAX_AMOUNT + ".");
        }
        String currency = json.path("currency").isTextual() ? json.path("currency").asText() : "";
        if (!CURRENCY.matcher(currency).matches()) {
            throw invalid("currency must be an ISO 4217 code of three capital letters.");
        }
        String destination = json.path("destination").isTextual() ? json.path("destination").asText() : "";
        if (!DESTINATION.matcher(destination).matches()) {
            throw invalid("destination must be 1 to 64 characters from A-Z a-z 0-9 _ -.");
        }
        return new PaymentRequest(amount.asLong(), currency, destination, CanonicalJson.write(json));
    }

    /** The request a key stored ({@code request_params}), read back by the completer. */
    static PaymentRequest fromStored(String canonicalJson) {
        try {
            return parse(canonicalJson.getBytes(StandardCharsets.UTF_8));
        } catch (InvalidRequestException e) {
            throw new IllegalStateException("A stored request was validated before it was stored: " + canonicalJson, e);
        }
    }

    private static InvalidRequestException invalid(String detail) {
        return new InvalidRequestException(400, "invalid-payment", "Invalid payment", detail);
    }
}
