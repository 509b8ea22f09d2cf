package dev.backendlabs.circuitbreaker;

/**
 * Gets a quote from the dependency. Implementations block the calling thread (a worker of {@link QuoteServer}) until they
 * have an answer or give up: how long they may hold it is the whole difference between them.
 */
public interface QuoteClient extends AutoCloseable {

    /**
     * @throws QuoteFailedException if no quote could be had, with the reason
     */
    String quote(Sku sku) throws QuoteFailedException;

    /** Threads blocked on the dependency now and at peak. */
    ConcurrencyGauge blocked();

    /** Releases the HTTP client. */
    @Override
    void close();
}
