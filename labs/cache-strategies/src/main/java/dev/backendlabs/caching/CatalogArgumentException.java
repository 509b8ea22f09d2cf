package dev.backendlabs.caching;

/**
 * A bad argument — an id that is not positive, a negative price, a blank name, a cache setting out
 * of range — refused before anything is read or written, with a message that names the argument,
 * what it must be, and what it was.
 */
public class CatalogArgumentException extends IllegalArgumentException {

    private final String argument;

    public CatalogArgumentException(String argument, String expected, Object actual) {
        super("catalog: " + argument + " must be " + expected + ", got '" + actual + "'");
        this.argument = argument;
    }

    /** The name of the refused argument, e.g. {@code priceCents}. */
    public String argument() {
        return argument;
    }

    /** Product ids are positive; the check every entry point runs before any round trip. */
    static long requireProductId(long id) {
        if (id <= 0) {
            throw new CatalogArgumentException("id", "a positive product id", id);
        }
        return id;
    }
}
