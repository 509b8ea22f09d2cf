package dev.backendlabs.idempotency;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.util.Map;

/**
 * The HTTP plumbing every payment route shares, and nothing else: read and validate the POST
 * ({@link PaymentPost#read}), answer a refusal with its problem, answer an unexpected failure with a
 * logged 500, send the answer and close the exchange. What a route does with a valid request — claim
 * atomically, check then insert, or one transaction — and how it answers a database failure stay in
 * its own handler, where the naive and the pattern can be told apart.
 */
final class PaymentExchange {

    private static final System.Logger LOG = System.getLogger(PaymentExchange.class.getName());

    /** What a route does with a request that passed validation. */
    @FunctionalInterface
    interface Endpoint {
        ApiResponse answer(PaymentPost post);
    }

    private PaymentExchange() {
    }

    /** Serves one exchange on {@code route}: a valid request goes to {@code endpoint}, anything else gets its problem. */
    static void serve(HttpExchange exchange, String route, int maxBodyBytes, Endpoint endpoint) throws IOException {
        try (exchange) {
            ApiResponse answer;
            try {
                answer = endpoint.answer(PaymentPost.read(exchange, route, maxBodyBytes));
            } catch (InvalidRequestException e) {
                answer = e.problem();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "POST " + route + " failed", e);
                answer = internalError();
            }
            answer.headers().forEach(exchange.getResponseHeaders()::set);
            exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
            exchange.getResponseBody().write(answer.body());
        }
    }

    /** The 500 for a failure no layer expected; nothing is stored for it. */
    static ApiResponse internalError() {
        return ApiResponse.problem(500, "internal-error", "Internal error", "The request failed unexpectedly; nothing was stored.",
                Map.of());
    }
}
