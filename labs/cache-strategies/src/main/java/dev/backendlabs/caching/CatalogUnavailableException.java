package dev.backendlabs.caching;

/**
 * The database could not answer (down, pool exhausted, timed out). A cache strategy still answers
 * what it has cached; a read it would have to load fails with this exception.
 */
public class CatalogUnavailableException extends RuntimeException {

    public CatalogUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
