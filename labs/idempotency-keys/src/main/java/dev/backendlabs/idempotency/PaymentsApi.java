package dev.backendlabs.idempotency;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The service's HTTP surface: the JDK's {@code HttpServer}, one virtual thread per exchange (a
 * request waiting 50 ms for the provider costs a parked virtual thread, not a platform thread), and
 * a large accept backlog, because a retry storm opens many connections at once.
 */
public final class PaymentsApi implements AutoCloseable {

    private static final int ACCEPT_BACKLOG = 1024;

    private final HttpServer server;
    private final ExecutorService exchanges = Executors.newVirtualThreadPerTaskExecutor();

    private PaymentsApi(HttpServer server) {
        this.server = server;
    }

    /** Serves {@code routes} (path → handler) on {@code address}; port 0 picks a free one. */
    public static PaymentsApi start(InetSocketAddress address, Map<String, HttpHandler> routes) throws IOException {
        HttpServer server = HttpServer.create(address, ACCEPT_BACKLOG);
        routes.forEach(server::createContext);
        PaymentsApi api = new PaymentsApi(server);
        server.setExecutor(api.exchanges);
        server.start();
        return api;
    }

    /** {@code path} on this server, e.g. {@code http://127.0.0.1:41234/payments}. */
    public URI uri(String path) {
        InetSocketAddress address = server.getAddress();
        return URI.create("http://" + address.getHostString() + ":" + address.getPort() + path);
    }

    /** Stops accepting at once and interrupts the exchanges in progress. */
    @Override
    public void close() {
        server.stop(0);
        exchanges.shutdownNow();
    }
}
