package dev.backendlabs.idempotency;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A {@code POST} to a payment route, read and validated before anything touches the database: the
 * tenant, the key and the body. Every refusal is an {@link InvalidRequestException}, so a bad request
 * stores nothing and charges nothing.
 *
 * @param tenant the caller; {@value #TENANT_HEADER} stands in for authentication here
 */
public record PaymentPost(String tenant, String key, PaymentRequest request) {

    public static final String TENANT_HEADER = "X-Tenant";

    /** Payment bodies are about 80 bytes; 16 KiB is generous, and bounds what a fingerprint hashes and a key stores. */
    public static final int MAX_BODY_BYTES = 16 * 1024;

    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /**
     * Reads the request of {@code exchange}, at most {@code maxBodyBytes} of body.
     *
     * @throws InvalidRequestException 405 for another method, 404 for another path, 401 without a tenant, 400 for a
     *                                 bad key, a body over the limit or a body that is not a valid payment
     */
    public static PaymentPost read(HttpExchange exchange, String route, int maxBodyBytes) throws InvalidRequestException, IOException {
        if (!"POST".equals(exchange.getRequestMethod())) {
            throw new InvalidRequestException(405, "method-not-allowed", "Method not allowed", route + " takes POST only.",
                    Map.of("Allow", "POST"));
        }
        if (!route.equals(exchange.getRequestURI().getPath())) {
            throw new InvalidRequestException(404, "not-found", "Not found", "No resource at " + exchange.getRequestURI().getPath() + ".");
        }
        String tenant = exchange.getRequestHeaders().getFirst(TENANT_HEADER);
        if (tenant == null || !TENANT.matcher(tenant).matches()) {
            throw new InvalidRequestException(401, "tenant-missing", "Unauthenticated",
                    "Send " + TENANT_HEADER + ": 1 to 64 characters from A-Z a-z 0-9 _ -.");
        }
        String key = IdempotencyKeyHeader.parse(exchange.getRequestHeaders().get(IdempotencyKeyHeader.NAME));
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(maxBodyBytes + 1);
        }
        if (body.length > maxBodyBytes) {
            throw new InvalidRequestException(400, "body-too-large", "Body too large", "The body exceeds " + maxBodyBytes + " bytes.");
        }
        return new PaymentPost(tenant, key, PaymentRequest.parse(body));
    }
}
