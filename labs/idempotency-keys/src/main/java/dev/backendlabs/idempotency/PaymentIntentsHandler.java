package dev.backendlabs.idempotency;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;

/** {@code POST /payment-intents} over HTTP: a local-only write, made idempotent by {@link SingleTransactionIdempotency}. */
public final class PaymentIntentsHandler implements HttpHandler {

    private static final System.Logger LOG = System.getLogger(PaymentIntentsHandler.class.getName());

    private final SingleTransactionIdempotency fastPath;
    private final int maxBodyBytes;

    public PaymentIntentsHandler(SingleTransactionIdempotency fastPath, int maxBodyBytes) {
        this.fastPath = Objects.requireNonNull(fastPath, "fastPath");
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        PaymentExchange.serve(exchange, PaymentIntents.ROUTE, maxBodyBytes, this::create);
    }

    /** The intent, once per key; a database failure rolled everything back, so the client may retry with the same key. */
    private ApiResponse create(PaymentPost post) {
        KeyScope scope = new KeyScope(post.tenant(), "POST", PaymentIntents.ROUTE, post.key());
        try {
            return fastPath.execute(scope, Fingerprint.of(scope, post.request().canonicalJson()),
                    (connection, keyId) -> PaymentIntents.create(connection, post.tenant(), post.request(), keyId));
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.WARNING, "POST /payment-intents: database failed", e);
            return ApiResponse.problem(503, "temporarily-unavailable", "Temporarily unavailable",
                    "Nothing was stored. Retry with the same Idempotency-Key.", Map.of("Retry-After", "1"));
        }
    }
}
