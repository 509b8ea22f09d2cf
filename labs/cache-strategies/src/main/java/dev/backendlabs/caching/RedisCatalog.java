package dev.backendlabs.caching;

/**
 * What the Redis strategies share: the source of truth, the Redis side ({@link RedisTier}: bounded
 * calls, validation, the failure policy) and the cache-aside write path — commit to the database,
 * then delete the cached copy. Each strategy is its read path; write-through also replaces the writes.
 */
public abstract sealed class RedisCatalog implements ProductCatalog
        permits CacheAside, ReadThroughCache, WriteThroughCache, XFetchCache, LeasedCache {

    final ProductCatalog source;
    final RedisTier redis;

    RedisCatalog(ProductCatalog source, RedisTier redis) {
        this.source = source;
        this.redis = redis;
    }

    // region write-then-delete
    /**
     * Commits the new price, then deletes the cached copy (and any rebuild lease). Deleting first
     * would let a read in between load the old row and cache it after the commit; deleting after
     * leaves a narrower window, which {@link LeasedCache} closes. If Redis cannot be reached the
     * write still succeeds and {@link CacheMetrics#invalidationFailures()} counts it.
     */
    @Override
    public Product updatePrice(long id, long priceCents) {
        Product committed = source.updatePrice(id, priceCents);
        redis.invalidate(id);
        return committed;
    }
    // endregion

    /** Commits the new product, then deletes a cached "not found" of its id. */
    @Override
    public Product create(long id, String sku, String name, int categoryId, long priceCents) {
        Product committed = source.create(id, sku, name, categoryId, priceCents);
        redis.invalidate(id);
        return committed;
    }

    public CacheMetrics metrics() {
        return redis.metrics();
    }
}
