package dev.backendlabs.caching;

/** A write to a product that does not exist; nothing was changed. */
public class ProductNotFoundException extends RuntimeException {

    private final long id;

    public ProductNotFoundException(long id) {
        super("catalog: no product with id " + id);
        this.id = id;
    }

    public long id() {
        return id;
    }
}
