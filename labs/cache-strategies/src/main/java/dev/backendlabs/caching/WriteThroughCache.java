package dev.backendlabs.caching;

import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.Optional;

/**
 * THE PATTERN: write-through. Reads are cache-aside; a write commits to the database and then
 * stores the committed product in Redis instead of deleting it, so the next read of a key that was
 * just written is a hit, not a miss and a load.
 *
 * <p>Every store is versioned ({@code versioned_store.lua}): it never replaces a newer version. Two
 * writers whose stores arrive out of order, or a reader that loaded the row before a write
 * committed and stores it after the write's store, cannot leave the older copy in the cache.
 *
 * <p>The price: every write pays a store, also for keys nobody reads; and a key that was evicted
 * between a write's store and a slow reader's store can still take the reader's older copy (until
 * its TTL). If the store fails, the old copy is deleted instead; if that fails too, it is counted
 * as an invalidation failure.
 */
public final class WriteThroughCache extends RedisCatalog {

    private final CacheAside reads;

    public WriteThroughCache(ProductCatalog source, JedisPool pool, CachePolicy policy) {
        super(source, new RedisTier(pool, policy, new CacheMetrics()));
        this.reads = new CacheAside(source, redis);
    }

    @Override
    public Optional<Product> find(long id) {
        return reads.find(id);
    }

    // region write
    @Override
    public Product updatePrice(long id, long priceCents) {
        return storeOrEvict(source.updatePrice(id, priceCents));
    }
    // endregion

    @Override
    public Product create(long id, String sku, String name, int categoryId, long priceCents) {
        return storeOrEvict(source.create(id, sku, name, categoryId, priceCents));
    }

    private Product storeOrEvict(Product committed) {
        if (!redis.store(committed.id(), Optional.of(committed), 0, Duration.ZERO)) {
            redis.invalidate(committed.id());
        }
        return committed;
    }
}
