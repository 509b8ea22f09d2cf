package dev.backendlabs.idempotency;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.IOException;
import java.util.Objects;

/**
 * THE PATTERN, over HTTP: {@code POST /payments} on the JDK's {@code HttpServer}. Validates the
 * request, then lets {@link RecoveryPointPayments} claim the key and run, resume or replay it. Every
 * request gets an answer with a status of the IETF draft's matrix (400, 409, 422, a replay), never a
 * dropped connection.
 */
public final class AtomicClaimHandler implements HttpHandler {

    private final RecoveryPointPayments payments;
    private final int maxBodyBytes;

    public AtomicClaimHandler(RecoveryPointPayments payments, int maxBodyBytes) {
        this.payments = Objects.requireNonNull(payments, "payments");
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        PaymentExchange.serve(exchange, RecoveryPointPayments.ROUTE, maxBodyBytes,
                post -> payments.pay(post.tenant(), post.key(), post.request()));
    }
}
