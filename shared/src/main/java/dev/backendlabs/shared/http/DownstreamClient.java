package dev.backendlabs.shared.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * The JDK {@link HttpClient} with the two timeouts every call to a dependency needs stated:
 * connecting and the whole request. A request that outlives its timeout throws
 * {@link java.net.http.HttpTimeoutException} and its connection is closed, the way a real client
 * gives up; the server only notices when it tries to answer.
 *
 * <p>HTTP/1.1 only: the JDK server does not speak HTTP/2, and one connection per concurrent request
 * is what the capacity model of {@link Downstream} expects. Thread-safe; close it when done.
 */
public final class DownstreamClient implements AutoCloseable {

    private final HttpClient client;

    private DownstreamClient(HttpClient client) {
        this.client = client;
    }

    /** A client that gives up connecting after {@code connectTimeout} (positive). */
    public static DownstreamClient create(Duration connectTimeout) {
        return new DownstreamClient(HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .build());
    }

    /** GET {@code uri}; throws {@link java.net.http.HttpTimeoutException} if no answer within {@code requestTimeout}. */
    public HttpResponse<String> get(URI uri, Map<String, String> headers, Duration requestTimeout)
            throws IOException, InterruptedException {
        return send(request(uri, headers, requestTimeout).GET());
    }

    /**
     * POST {@code body} as JSON to {@code uri}; throws {@link java.net.http.HttpTimeoutException} if
     * no answer within {@code requestTimeout}.
     */
    public HttpResponse<String> post(URI uri, String body, Map<String, String> headers, Duration requestTimeout)
            throws IOException, InterruptedException {
        return send(request(uri, headers, requestTimeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    @Override
    public void close() {
        client.close();
    }

    private static HttpRequest.Builder request(URI uri, Map<String, String> headers, Duration requestTimeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(requestTimeout);
        headers.forEach(request::header);
        return request;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
