package dev.backendlabs.circuitbreaker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The caller: a small HTTP service on the JDK {@link HttpServer} with a bounded pool of worker threads, like a servlet
 * container's. Two endpoints share the pool:
 * <ul>
 *   <li>{@code GET /quote?sku=...} asks the dependency through a {@link QuoteClient} and relays its answer; a failure is
 *       answered with the status of its {@link QuoteFailedException.Reason} (503, 504, 502, 404), a bad SKU with 400.</li>
 *   <li>{@code GET /health-of-catalog} answers from this service alone.</li>
 * </ul>
 * Requests wait for a worker in an unbounded first-come-first-served queue, as they do in a container's accept queue: when
 * every worker is stuck on the dependency, {@code /health-of-catalog} waits behind {@code /quote} although it needs nothing
 * from the dependency. That shared pool is how one slow dependency takes down a whole service.
 */
public final class QuoteServer implements AutoCloseable {

    /** The body of {@code /health-of-catalog}: the catalog is local to this service. */
    static final String CATALOG_HEALTH = "{\"catalog\":\"ok\"}";

    private static final System.Logger LOG = System.getLogger(QuoteServer.class.getName());

    private final HttpServer server;
    private final ThreadPoolExecutor workers;
    private final QuoteClient quotes;

    private QuoteServer(HttpServer server, ThreadPoolExecutor workers, QuoteClient quotes) {
        this.server = server;
        this.workers = workers;
        this.quotes = quotes;
    }

    /**
     * Starts the service on a free loopback port with {@code workers} worker threads.
     *
     * @throws IllegalArgumentException if {@code workers < 1}
     */
    public static QuoteServer start(QuoteClient quotes, int workers) {
        Objects.requireNonNull(quotes, "quotes");
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        AtomicInteger threads = new AtomicInteger();
        // region worker-pool
        ThreadPoolExecutor pool = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                task -> new Thread(task, "quote-server-" + threads.incrementAndGet()));
        // endregion
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
            QuoteServer service = new QuoteServer(server, pool, quotes);
            // One context for every path: the JDK matches contexts by prefix, so "/quote" would also take "/quotes".
            // Both endpoints run on the same pool.
            server.createContext("/", service::handle);
            server.setExecutor(pool);
            server.start();
            return service;
        } catch (IOException e) {
            pool.shutdownNow();
            throw new UncheckedIOException("Could not start the quote server on loopback", e);
        }
    }

    /** {@code http://127.0.0.1:<port><path>}. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    /** Requests waiting for a worker right now. */
    public int queued() {
        return workers.getQueue().size();
    }

    /** Stops accepting, then interrupts the workers; the {@link QuoteClient} is the caller's to close. */
    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!exchange.getRequestMethod().equals("GET")) {
                respond(exchange, 405, "GET only");
            } else if (path.equals("/health-of-catalog")) {
                respond(exchange, 200, CATALOG_HEALTH);
            } else if (path.equals("/quote")) {
                quote(exchange);
            } else {
                respond(exchange, 404, "no such endpoint");
            }
        } catch (IOException e) {
            // The client gave up and closed the connection before its answer: there is no one left to tell.
        }
    }

    // region quote-endpoint
    private void quote(HttpExchange exchange) throws IOException {
        Sku sku;
        try {
            sku = new Sku(queryParameter(exchange.getRequestURI().getRawQuery(), "sku"));
        } catch (InvalidSkuException e) {
            respond(exchange, 400, e.getMessage());
            return;
        }
        try {
            respond(exchange, 200, quotes.quote(sku));
        } catch (QuoteFailedException e) {
            respond(exchange, e.reason().status(), "quote unavailable: " + e.reason());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "Quote failed unexpectedly", e);
            respond(exchange, 500, "internal error");
        }
    }
    // endregion

    /** The first value of {@code name} in a raw query string, decoded; null if absent. */
    private static String queryParameter(String rawQuery, String name) {
        if (rawQuery == null) {
            return null;
        }
        for (String pair : rawQuery.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0 && pair.substring(0, equals).equals(name)) {
                try {
                    return URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException malformed) {
                    return null;
                }
            }
        }
        return null;
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", body.startsWith("{") ? "application/json" : "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
