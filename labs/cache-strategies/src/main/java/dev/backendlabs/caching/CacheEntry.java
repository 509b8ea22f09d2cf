package dev.backendlabs.caching;

import java.util.Optional;

/**
 * What the lab stores in Redis under a product's key: the product, or {@code null} for a cached
 * "not found", with its version (0 for "not found") at the top level, where the store script
 * compares it, and how long the load that produced it took (XFetch's δ).
 *
 * @param version    the product's version; 0 for "not found"
 * @param loadMicros how long the database load took, in microseconds
 * @param product    the product, or {@code null} when no product has the key's id
 */
public record CacheEntry(long version, long loadMicros, Product product) {

    public CacheEntry {
        if (version != (product == null ? 0 : product.version())) {
            throw new IllegalArgumentException("version " + version + " does not match the product's");
        }
        if (loadMicros < 0) {
            throw new IllegalArgumentException("loadMicros must be >= 0, got " + loadMicros);
        }
    }

    /**
     * The entry to store for key {@code id}.
     *
     * @throws MalformedEntryException if the product is not the key's (a loader bug): such a value is never stored
     */
    static CacheEntry of(long id, Optional<Product> product, long loadMicros) {
        if (product.isPresent() && product.get().id() != id) {
            throw new MalformedEntryException("catalog: the loader returned product " + product.get().id() + " for id " + id
                    + "; it is not cached");
        }
        return new CacheEntry(product.map(Product::version).orElse(0L), loadMicros, product.orElse(null));
    }

    /** The product, or empty for a cached "not found". */
    public Optional<Product> found() {
        return Optional.ofNullable(product);
    }
}
