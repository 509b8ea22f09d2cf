package dev.backendlabs.caching;

import java.util.Optional;

/**
 * Reads and writes of product pages. {@link ProductRepository} is the source of truth; every cache
 * strategy of the lab implements this interface in front of another {@code ProductCatalog}, so a
 * service can swap strategies — and a test can wrap the source to run code at the worst moment.
 */
public interface ProductCatalog {

    /**
     * The product page, or empty if no product has this id.
     *
     * @throws CatalogArgumentException if the id is not positive
     */
    Optional<Product> find(long id);

    /**
     * Sets the price and increments the version; returns the product as committed.
     *
     * @throws CatalogArgumentException  for a bad id or a negative price; nothing changes
     * @throws ProductNotFoundException  if no product has this id; nothing changes
     */
    Product updatePrice(long id, long priceCents);

    /**
     * Adds a product (version 1) and returns it as committed. A cached "not found" for its id
     * must not outlive this call.
     *
     * @throws CatalogArgumentException for bad arguments or an id or SKU already taken; nothing changes
     */
    Product create(long id, String sku, String name, int categoryId, long priceCents);
}
