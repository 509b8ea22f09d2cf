package dev.backendlabs.caching;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * The strategies the Zipf experiment and {@code CacheStrategyBenchmark} compare, built the same way
 * for both (as Caffeine's {@code CacheType} serves its benchmarks). A strategy that holds resources
 * (the L1's subscription) is {@link AutoCloseable}; close what {@link #open} returns if it is.
 */
public enum CacheStrategy {

    /** Every read is a query of the product-page view. */
    NO_CACHE,
    /** {@link CacheAside}: Redis, load on a miss, delete on a write. */
    CACHE_ASIDE,
    /** {@link ReadThroughCache}: the same, with one load per key at a time in this process. */
    READ_THROUGH,
    /** {@link WriteThroughCache}: reads as cache-aside, writes store the new version. */
    WRITE_THROUGH,
    /** {@link TwoTierCache}: a Caffeine L1 over cache-aside on Redis, invalidated by pub/sub. */
    L1_L2;

    /**
     * @param database      the source of truth
     * @param pool          the Redis pool of the strategy
     * @param policy        key prefix and TTLs in Redis
     * @param l1            the L1's size and TTL (used by {@link #L1_L2} only)
     * @param channel       the invalidation channel (used by {@link #L1_L2} only)
     * @param subscriptions opens the subscription's connection (used by {@link #L1_L2} only)
     */
    public ProductCatalog open(ProductCatalog database, JedisPool pool, CachePolicy policy, TwoTierCache.L1Policy l1, String channel,
                               Supplier<Jedis> subscriptions) {
        return switch (this) {
            case NO_CACHE -> database;
            case CACHE_ASIDE -> new CacheAside(database, pool, policy);
            case READ_THROUGH -> new ReadThroughCache(database, pool, policy);
            case WRITE_THROUGH -> new WriteThroughCache(database, pool, policy);
            case L1_L2 -> TwoTierCache.withInvalidation(new CacheAside(database, pool, policy), l1, pool, channel, subscriptions);
        };
    }

    /** The lower-case name used in tables, charts and metric names: {@code cache_aside}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
