package dev.backendlabs.caching;

import redis.clients.jedis.JedisPool;

import java.util.Optional;

/**
 * THE PATTERN: cache-aside. A read asks Redis first; on a miss it loads the product from the
 * database and stores it with a TTL. A write commits to the database first, then deletes the
 * cached copy, so that the next read loads the new row.
 *
 * <p>What it adds to the textbook version, each covered by a test:
 * <ul>
 *   <li><b>Validation both ways.</b> A value in Redis is decoded in full before use; a malformed one
 *       is deleted and the read is answered from the database, so one read pays for it instead of
 *       every read until its TTL. A loader result that does not fit the key is never stored.</li>
 *   <li><b>Negative caching.</b> "No such product" is cached too, with its own short TTL, so lookups
 *       of missing ids stop reaching the database; {@link #create} deletes it.</li>
 *   <li><b>Versioned stores.</b> A store never replaces a newer version of the product.</li>
 *   <li><b>A failure policy.</b> When Redis does not answer within the pool's timeouts, reads are
 *       answered from the database and writes still commit; see {@link CacheMetrics}.</li>
 * </ul>
 *
 * <p>What it does not do: protect a hot key from a stampede when it expires ({@link ReadThroughCache},
 * {@link LeasedCache}, {@link XFetchCache}), or close the window in which a read that loaded the old
 * row before a write committed stores it after the write's delete ({@link LeasedCache}).
 */
public final class CacheAside extends RedisCatalog {

    public CacheAside(ProductCatalog source, JedisPool pool, CachePolicy policy) {
        this(source, new RedisTier(pool, policy, new CacheMetrics()));
    }

    CacheAside(ProductCatalog source, RedisTier redis) {
        super(source, redis);
    }

    // region read
    @Override
    public Optional<Product> find(long id) {
        CatalogArgumentException.requireProductId(id);
        return switch (redis.lookup(id)) {
            case RedisTier.Hit hit -> hit.entry().found();
            case RedisTier.Miss miss -> redis.loadAndStore(id, source);
            case RedisTier.Unavailable down -> redis.fallback(id, source);
        };
    }
    // endregion
}
