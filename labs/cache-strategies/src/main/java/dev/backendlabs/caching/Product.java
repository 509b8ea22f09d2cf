package dev.backendlabs.caching;

import java.util.List;

/**
 * A product page as the catalog serves it: the product row, its review summary and the ids of the
 * best-rated other products of its category.
 *
 * <p>The canonical constructor enforces every invariant, so no code path — the repository, the
 * decoding of a cache entry, a bug — can build an invalid product, and an invalid product can
 * therefore never be cached. A value in Redis that does not decode into a valid product is
 * rejected by {@link EntryCodec} as a whole.
 *
 * @param id            the product id, positive
 * @param sku           the stock-keeping unit, not blank
 * @param name          the display name, not blank
 * @param categoryId    the category, at least 0
 * @param priceCents    the price in cents, at least 0
 * @param version       incremented by every write, from 1: what a cache compares to know which copy is newer
 * @param reviewCount   number of reviews, at least 0
 * @param averageRating mean rating, 0 (no reviews) to 5
 * @param relatedIds    the best-rated other products of the category, positive ids
 */
public record Product(long id, String sku, String name, int categoryId, long priceCents, long version, long reviewCount,
                      double averageRating, List<Long> relatedIds) {

    public Product {
        CatalogArgumentException.requireProductId(id);
        require(sku != null && !sku.isBlank(), "sku", "a non-blank text", sku);
        require(name != null && !name.isBlank(), "name", "a non-blank text", name);
        require(categoryId >= 0, "categoryId", "an integer >= 0", categoryId);
        require(priceCents >= 0, "priceCents", "an integer >= 0", priceCents);
        require(version >= 1, "version", "an integer >= 1", version);
        require(reviewCount >= 0, "reviewCount", "an integer >= 0", reviewCount);
        require(averageRating >= 0 && averageRating <= 5, "averageRating", "a number from 0 to 5", averageRating);
        require(relatedIds != null && relatedIds.stream().allMatch(related -> related != null && related > 0),
                "relatedIds", "a list of positive ids", relatedIds);
        relatedIds = List.copyOf(relatedIds);
    }

    /** The same product with another price and the next version: what a price change commits. */
    public Product withPrice(long newPriceCents) {
        return new Product(id, sku, name, categoryId, newPriceCents, version + 1, reviewCount, averageRating, relatedIds);
    }

    private static void require(boolean valid, String field, String expected, Object value) {
        if (!valid) {
            throw new CatalogArgumentException(field, expected, value);
        }
    }
}
