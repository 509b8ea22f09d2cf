package dev.backendlabs.idempotency;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads the {@code Idempotency-Key} header. The IETF draft defines it as an RFC 8941 sf-string (a
 * quoted string, {@code "8e03978e-40d5-43e8-bc93-6894a57f9324"}); most clients send a bare token. Both
 * are accepted and mean the same key. The key is 1 to 255 characters (Stripe's maximum) from
 * {@value #CHARSET}: enough for UUIDs, ULIDs, hex and base64 of random bytes, and nothing that needs
 * escaping in a quoted string, a log line or a downstream header.
 */
public final class IdempotencyKeyHeader {

    public static final String NAME = "Idempotency-Key";
    public static final int MAX_LENGTH = 255;
    static final String CHARSET = "A-Z a-z 0-9 - _ . : ~ + / =";
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9\\-_.:~+/=]{1," + MAX_LENGTH + "}");

    private IdempotencyKeyHeader() {
    }

    /**
     * The key in the header's values.
     *
     * @param values every value of the header in the request (null or empty when absent)
     * @throws InvalidRequestException 400 when it is absent, repeated, badly quoted, empty, too long or has a character outside the charset
     */
    public static String parse(List<String> values) throws InvalidRequestException {
        if (values == null || values.isEmpty()) {
            throw invalid("idempotency-key-missing", "Missing Idempotency-Key",
                    "POST /payments needs an Idempotency-Key header: a unique value per operation, e.g. a UUID.");
        }
        if (values.size() > 1) {
            throw invalid("idempotency-key-malformed", "Malformed Idempotency-Key", "Send exactly one Idempotency-Key header.");
        }
        String value = values.getFirst().strip();
        String key = value;
        if (value.startsWith("\"")) {
            if (value.length() < 2 || !value.endsWith("\"")) {
                throw invalid("idempotency-key-malformed", "Malformed Idempotency-Key", "A quoted Idempotency-Key must end with a quote.");
            }
            key = value.substring(1, value.length() - 1);
        }
        if (!KEY.matcher(key).matches()) {
            throw invalid("idempotency-key-malformed", "Malformed Idempotency-Key",
                    "An Idempotency-Key has 1 to " + MAX_LENGTH + " characters from " + CHARSET + "; got " + key.length() + " characters.");
        }
        return key;
    }

    private static InvalidRequestException invalid(String type, String title, String detail) {
        return new InvalidRequestException(400, type, title, detail);
    }
}
