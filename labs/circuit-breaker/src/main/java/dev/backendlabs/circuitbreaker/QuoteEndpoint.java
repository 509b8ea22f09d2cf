package dev.backendlabs.circuitbreaker;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The dependency's quote endpoint as both clients call it: the same JDK HttpClient (HTTP/1.1, a connect timeout), the same
 * request with the same request timeout, the same reading of the answer. Only what wraps the call differs.
 */
final class QuoteEndpoint implements AutoCloseable {

    private final HttpClient http;
    private final URI quotes;
    private final Duration requestTimeout;

    /**
     * @param quotes         the dependency's quote URI, e.g. {@code http://10.0.0.7:8080/quote}
     * @param requestTimeout the HTTP client's timeout for connecting and for the whole request (positive)
     */
    QuoteEndpoint(URI quotes, Duration requestTimeout) {
        this.quotes = Objects.requireNonNull(quotes, "quotes");
        if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("The request timeout must be positive, got " + requestTimeout);
        }
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(requestTimeout).build();
    }

    /** Sends the request and waits for the answer on this thread, up to the request timeout. */
    String send(Sku sku) throws IOException, InterruptedException, DownstreamStatusException {
        return body(http.send(request(sku), HttpResponse.BodyHandlers.ofString()));
    }

    /**
     * Sends the request without waiting. The future fails with the {@link IOException} or {@link DownstreamStatusException}
     * the blocking {@link #send} would throw; cancelling it aborts the exchange (the connection is closed), which the
     * dependency does not notice until it tries to answer.
     */
    CompletableFuture<String> sendAsync(Sku sku) {
        return http.sendAsync(request(sku), HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
            try {
                return body(response);
            } catch (DownstreamStatusException e) {
                throw new CompletionException(e);
            }
        });
    }

    @Override
    public void close() {
        http.shutdownNow();
    }

    private HttpRequest request(Sku sku) {
        URI uri = URI.create(quotes + "?sku=" + URLEncoder.encode(sku.value(), StandardCharsets.UTF_8));
        return HttpRequest.newBuilder(uri).timeout(requestTimeout).GET().build();
    }

    private static String body(HttpResponse<String> response) throws DownstreamStatusException {
        if (response.statusCode() / 100 != 2) {
            throw new DownstreamStatusException(response.statusCode());
        }
        return response.body();
    }
}
