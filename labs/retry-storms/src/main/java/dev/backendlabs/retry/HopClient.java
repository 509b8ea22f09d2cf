package dev.backendlabs.retry;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * How one service calls the next over HTTP: the JDK {@link HttpClient}, a timeout on every attempt, and a
 * {@link RetryPolicy} around it. What it retries, and what it never does:
 * <ul>
 *   <li>429, 500, 502, 503 and 504 become a {@link RetryableStatusException}, retried like a timeout or a refused
 *       connection; every other status is an answer, returned as it is (a 4xx is the caller's mistake: repeating the
 *       request repeats the mistake);</li>
 *   <li>a GET is retried; a POST only when it carries an {@value #IDEMPOTENCY_KEY} header, because a POST whose answer
 *       was lost may have happened, and repeating it without a key the server deduplicates by charges the card twice.</li>
 * </ul>
 * The policy decides the rest: attempts, backoff, budget, breaker. Use one {@code HopClient} per dependency, at the one
 * layer of the stack that retries; the others get a policy of one attempt. Thread-safe.
 */
public final class HopClient {

    /** The request header that names one logical operation across retries (IETF draft-ietf-httpapi-idempotency-key-header). */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private static final Set<Integer> RETRYABLE_STATUSES = Set.of(429, 500, 502, 503, 504);

    private final HttpClient http;
    private final Duration attemptTimeout;
    private final RetryPolicy policy;
    private final boolean retryPostsWithoutKey;

    private HopClient(HttpClient http, Duration attemptTimeout, RetryPolicy policy, boolean retryPostsWithoutKey) {
        this.http = Objects.requireNonNull(http, "http");
        if (attemptTimeout == null || attemptTimeout.isNegative() || attemptTimeout.isZero()) {
            throw new IllegalArgumentException("attemptTimeout must be a positive duration, got " + attemptTimeout);
        }
        this.attemptTimeout = attemptTimeout;
        this.policy = Objects.requireNonNull(policy, "policy");
        this.retryPostsWithoutKey = retryPostsWithoutKey;
    }

    /** A client that gives each attempt {@code attemptTimeout} (connect, send and answer) and retries per {@code policy}. */
    public static HopClient of(HttpClient http, Duration attemptTimeout, RetryPolicy policy) {
        return new HopClient(http, attemptTimeout, policy, false);
    }

    /**
     * NAIVE: the same client retrying every POST, key or no key — what a resilience4j Retry wrapped around any HTTP call
     * does, since it knows nothing of HTTP methods.
     */
    public static HopClient retryingEveryPost(HttpClient http, Duration attemptTimeout, RetryPolicy policy) {
        return new HopClient(http, attemptTimeout, policy, true);
    }

    /** GET {@code uri}: a 2xx or a non-retryable status, after the retries the policy allows. */
    public HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return send(request(uri, Map.of()).GET().build(), true);
    }

    /** POST {@code body} as JSON to {@code uri}; retried only with an {@value #IDEMPOTENCY_KEY} header (see the class). */
    public HttpResponse<String> post(URI uri, String body, Map<String, String> headers) throws IOException, InterruptedException {
        Objects.requireNonNull(body, "body");
        HttpRequest request = request(uri, headers).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return send(request, retryPostsWithoutKey || headers.containsKey(IDEMPOTENCY_KEY));
    }

    private HttpRequest.Builder request(URI uri, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(Objects.requireNonNull(uri, "uri")).timeout(attemptTimeout);
        Objects.requireNonNull(headers, "headers").forEach(request::header);
        return request;
    }

    // region send
    private HttpResponse<String> send(HttpRequest request, boolean retry) throws IOException, InterruptedException {
        Callable<HttpResponse<String>> attempt = () -> {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (RETRYABLE_STATUSES.contains(response.statusCode())) {
                throw new RetryableStatusException(request.uri(), response.statusCode(), response.body());
            }
            return response;
        };
        try {
            return retry ? policy.call(attempt) : policy.callOnce(attempt);
        } catch (IOException | InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("An HTTP attempt failed with an unexpected checked exception", e);
        }
    }
    // endregion
}
