package dev.backendlabs.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * An answer as it goes on the wire: status, headers and the exact body bytes. This is what a key
 * stores and replays, byte for byte (not a re-serialization of a JSONB column, which would reorder
 * properties and change whitespace).
 *
 * @param headers names as sent; only {@link #STORED_HEADERS} are kept when the answer is stored
 */
public record ApiResponse(int status, Map<String, String> headers, byte[] body) {

    /** Headers worth replaying. Anything else (a Set-Cookie, a trace id, a date) belongs to the first exchange only. */
    public static final Set<String> STORED_HEADERS = Set.of("Content-Type", "Location");

    /** Set on a replayed answer, as Stripe and the IETF draft's implementations do. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";

    public static final String PROBLEM_JSON = "application/problem+json";

    public ApiResponse {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("An HTTP status is within 100 to 599, got " + status);
        }
        headers = Map.copyOf(headers);
        Objects.requireNonNull(body, "body");
    }

    /** A JSON answer with {@code extraHeaders} beside its content type. */
    public static ApiResponse json(int status, JsonNode body, Map<String, String> extraHeaders) {
        Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
        headers.put("Content-Type", "application/json");
        return new ApiResponse(status, headers, CanonicalJson.write(body).getBytes(StandardCharsets.UTF_8));
    }

    /** An RFC 9457 problem: {@code type} is a short slug under {@code /problems/}. */
    public static ApiResponse problem(int status, String type, String title, String detail, Map<String, String> extraHeaders) {
        ObjectNode body = CanonicalJson.MAPPER.createObjectNode()
                .put("type", "/problems/" + type).put("title", title).put("status", status).put("detail", detail);
        Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
        headers.put("Content-Type", PROBLEM_JSON);
        return new ApiResponse(status, headers, CanonicalJson.write(body).getBytes(StandardCharsets.UTF_8));
    }

    /** The headers to store with the key: the allow-listed ones, as a JSON object. */
    String storedHeadersJson() {
        ObjectNode stored = CanonicalJson.MAPPER.createObjectNode();
        new TreeMap<>(headers).forEach((name, value) -> {
            if (STORED_HEADERS.contains(name)) {
                stored.put(name, value);
            }
        });
        return CanonicalJson.write(stored);
    }

    /** The answer a key stored, as it will be replayed: the stored status, headers and bytes, marked as a replay. */
    static ApiResponse replay(int status, String storedHeadersJson, byte[] body) {
        Map<String, String> headers = new LinkedHashMap<>();
        try {
            CanonicalJson.MAPPER.readTree(storedHeadersJson).properties()
                    .forEach(header -> headers.put(header.getKey(), header.getValue().asText()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Stored headers are JSON written by this class", e);
        }
        headers.put(REPLAYED_HEADER, "true");
        return new ApiResponse(status, headers, body);
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
