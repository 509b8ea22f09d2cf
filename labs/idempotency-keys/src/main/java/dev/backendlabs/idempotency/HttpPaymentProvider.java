package dev.backendlabs.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Objects;

/**
 * A provider reached over HTTP with the JDK's client: {@code POST chargesUri} with the payment as
 * JSON and the provider's own {@code Idempotency-Key}. Every call has a deadline, because a lease
 * must outlast the slowest call the owner is still waiting for.
 */
public final class HttpPaymentProvider implements PaymentProvider {

    private final HttpClient client;
    private final URI chargesUri;
    private final Duration timeout;

    /**
     * @param client     the caller's client (its connect timeout applies); its lifetime is the caller's
     * @param chargesUri where charges are created, e.g. {@code https://psp.example/v1/charges}
     * @param timeout    the whole call's deadline: keep it well below the store's lease
     */
    public HttpPaymentProvider(HttpClient client, URI chargesUri, Duration timeout) {
        this.client = Objects.requireNonNull(client, "client");
        this.chargesUri = Objects.requireNonNull(chargesUri, "chargesUri");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    @Override
    public ProviderResult charge(PaymentRequest payment, String idempotencyKey) {
        HttpRequest request = HttpRequest.newBuilder(chargesUri).timeout(timeout)
                .header("Content-Type", "application/json")
                .header(IdempotencyKeyHeader.NAME, idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofString(payment.canonicalJson()))
                .build();
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            return new ProviderResult.Failed("no answer within " + timeout.toMillis() + " ms", true);
        } catch (IOException e) {
            return new ProviderResult.Failed("connection failed: " + e, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ProviderResult.Failed("interrupted while waiting for the provider", false);
        }
        int status = response.statusCode();
        if (status / 100 == 2) {
            return charged(response.body());
        }
        if (status / 100 == 4 && status != 408 && status != 409 && status != 429) {
            return new ProviderResult.Declined(status, response.body());
        }
        return new ProviderResult.Failed("provider answered " + status, false);
    }

    private static ProviderResult charged(String body) {
        try {
            JsonNode id = CanonicalJson.MAPPER.readTree(body).path("id");
            return id.isTextual() ? new ProviderResult.Charged(id.asText())
                    : new ProviderResult.Failed("a 2xx without a charge id: " + body, false);
        } catch (JsonProcessingException e) {
            return new ProviderResult.Failed("a 2xx whose body is not JSON: " + body, false);
        }
    }
}
