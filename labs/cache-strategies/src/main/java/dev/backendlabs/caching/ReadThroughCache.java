package dev.backendlabs.caching;

import redis.clients.jedis.JedisPool;

import java.util.Optional;

/**
 * THE PATTERN: read-through with single-flight. Callers only ever ask the cache; the cache owns the
 * loader, and because it owns it, it can make sure that when many callers of this process miss the
 * same key at once — a hot key that just expired — exactly one of them loads it and the others
 * wait for that load. (Caffeine's {@code LoadingCache} and Spring's {@code @Cacheable(sync = true)}
 * do the same in memory.)
 *
 * <p>The loader looks in Redis once more before it queries the database: a caller whose miss is
 * already outdated (the value was stored just after its read) then finds the value instead of
 * loading it a second time. While Redis is down the reads of one key share one database query too.
 *
 * <p>Per process only: N instances that miss together still send N queries. {@link LeasedCache}
 * coordinates across processes.
 */
public final class ReadThroughCache extends RedisCatalog {

    private final SingleFlight<Long, Optional<Product>> flights = new SingleFlight<>();

    public ReadThroughCache(ProductCatalog source, JedisPool pool, CachePolicy policy) {
        super(source, new RedisTier(pool, policy, new CacheMetrics()));
    }

    // region single-flight
    @Override
    public Optional<Product> find(long id) {
        CatalogArgumentException.requireProductId(id);
        return switch (redis.lookup(id)) {
            case RedisTier.Hit hit -> hit.entry().found();
            case RedisTier.Miss miss -> flights.run(id, () -> lookAgainThenLoad(id));
            case RedisTier.Unavailable down -> flights.run(id, () -> redis.fallback(id, source));
        };
    }

    private Optional<Product> lookAgainThenLoad(long id) {
        return switch (redis.lookup(id)) {
            case RedisTier.Hit hit -> hit.entry().found();
            case RedisTier.Miss miss -> redis.loadAndStore(id, source);
            case RedisTier.Unavailable down -> redis.fallback(id, source);
        };
    }
    // endregion
}
