package dev.backendlabs.circuitbreaker;

import java.net.URI;
import java.time.Duration;

/**
 * NAIVE: calls the dependency on the worker's own thread with nothing but the HTTP client's request timeout (30 s is a
 * common default). Each call holds a worker for as long as the dependency takes, up to that timeout. While the dependency
 * answers in 50 ms nobody notices; when it takes 5 s, every worker of the service ends up waiting on it, and requests that
 * never touch the dependency queue behind them until their own clients give up: the failure cascades to the whole service.
 */
public final class TimeoutOnlyQuoteClient implements QuoteClient {

    private final QuoteEndpoint endpoint;
    private final ConcurrencyGauge blocked = new ConcurrencyGauge();

    /**
     * @param quotes        the dependency's quote URI
     * @param clientTimeout the HTTP client's timeout for connecting and for the whole request
     */
    public TimeoutOnlyQuoteClient(URI quotes, Duration clientTimeout) {
        this.endpoint = new QuoteEndpoint(quotes, clientTimeout);
    }

    // region naive-call
    @Override
    public String quote(Sku sku) throws QuoteFailedException {
        blocked.enter();
        try {
            return endpoint.send(sku);
        } catch (Exception e) {
            throw QuoteFailedException.of(e);
        } finally {
            blocked.exit();
        }
    }
    // endregion

    @Override
    public ConcurrencyGauge blocked() {
        return blocked;
    }

    @Override
    public void close() {
        endpoint.close();
    }
}
