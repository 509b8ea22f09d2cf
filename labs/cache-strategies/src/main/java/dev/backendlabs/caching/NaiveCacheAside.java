package dev.backendlabs.caching;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.util.Optional;

/**
 * NAIVE: cache-aside as most tutorials write it — read Redis, on a miss load and {@code SET} with a
 * TTL; on a write, delete the cached copy, then update the database. Each shortcut has a test that
 * runs it against the real servers:
 *
 * <ul>
 *   <li>It trusts what it reads: a value it cannot decode makes <em>every</em> read of that product
 *       fail until the value's TTL ends ({@code PoisonedEntryTest}).</li>
 *   <li>It caches only what it finds: every lookup of a missing id queries the database
 *       ({@code NegativeCachingTest}).</li>
 *   <li>Delete, then write: a read between the delete and the commit loads the old row and caches
 *       it, and that old copy stays until its TTL, forever without one ({@code StaleSetRaceTest}).</li>
 *   <li>No failure policy: when Redis is down, reads fail with Redis's exception
 *       ({@code RedisOutageTest}).</li>
 * </ul>
 */
public final class NaiveCacheAside implements ProductCatalog {

    private final ProductCatalog source;
    private final JedisPool pool;
    private final CachePolicy policy;

    public NaiveCacheAside(ProductCatalog source, JedisPool pool, CachePolicy policy) {
        this.source = source;
        this.pool = pool;
        this.policy = policy;
    }

    // region read
    @Override
    public Optional<Product> find(long id) {
        try (Jedis jedis = pool.getResource()) {
            String cached = jedis.get(policy.key(id));
            if (cached != null) {
                return EntryCodec.decode(id, cached).found();
            }
            Optional<Product> product = source.find(id);
            if (product.isPresent()) {
                jedis.psetex(policy.key(id), policy.ttl().toMillis(), EntryCodec.encode(CacheEntry.of(id, product, 0)));
            }
            return product;
        }
    }
    // endregion

    // region write
    @Override
    public Product updatePrice(long id, long priceCents) {
        try (Jedis jedis = pool.getResource()) {
            jedis.del(policy.key(id));
        }
        return source.updatePrice(id, priceCents);
    }
    // endregion

    @Override
    public Product create(long id, String sku, String name, int categoryId, long priceCents) {
        return source.create(id, sku, name, categoryId, priceCents);
    }
}
