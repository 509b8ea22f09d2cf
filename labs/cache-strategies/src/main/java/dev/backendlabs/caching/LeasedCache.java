package dev.backendlabs.caching;

import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * THE PATTERN: leases — a short Redis lock per key with stale-while-revalidate, after the memcache
 * leases of Nishtala et al., "Scaling Memcache at Facebook" (NSDI 2013).
 *
 * <p>An entry is fresh for the policy's TTL and then stays in Redis for a stale window more. A
 * read that finds it fresh uses it. A read that finds it stale or missing tries to take the key's
 * lease ({@code SET lease token NX PX}, atomically with the freshness check, in
 * {@code lease_acquire.lua}): the one that gets it loads the row and stores it; the others serve
 * the stale value meanwhile, or, when there is none, wait a few milliseconds and look again. One
 * database query per expiry, across every process that shares the Redis.
 *
 * <p>The lease also closes the stale-set race of cache-aside. A write commits, then deletes the
 * key <em>and its lease</em>; the store of a rebuild is conditional on its lease
 * ({@code lease_store.lua}), so a rebuild that read the row before the commit stores nothing.
 *
 * <p>Failure modes: a holder that dies keeps others waiting (or on the stale value) until its lease
 * expires, so the lease TTL should exceed a normal rebuild and stay short; a waiter gives up and
 * reads the database itself after twice the lease TTL; while Redis is down, reads go to the database.
 */
public final class LeasedCache extends RedisCatalog {

    private static final long MAX_PAUSE_MILLIS = 16;

    private final Duration leaseTtl;
    private final Duration staleWindow;

    /**
     * @param leaseTtl    how long a rebuild may hold the key's lease: longer than a normal load, short enough to survive a dead holder
     * @param staleWindow how long after its TTL an entry may still be served while one reader rebuilds it
     */
    public LeasedCache(ProductCatalog source, JedisPool pool, CachePolicy policy, Duration leaseTtl, Duration staleWindow) {
        super(source, new RedisTier(pool, policy, new CacheMetrics()));
        if (leaseTtl == null || leaseTtl.toMillis() < 1) {
            throw new CatalogArgumentException("leaseTtl", "at least 1 ms", leaseTtl);
        }
        if (staleWindow == null || staleWindow.isNegative()) {
            throw new CatalogArgumentException("staleWindow", "zero or more", staleWindow);
        }
        this.leaseTtl = leaseTtl;
        this.staleWindow = staleWindow;
    }

    // region lease
    @Override
    public Optional<Product> find(long id) {
        CatalogArgumentException.requireProductId(id);
        String token = UUID.randomUUID().toString();
        long giveUp = System.nanoTime() + 2 * leaseTtl.toNanos();
        for (long pause = 1; ; pause = Math.min(2 * pause, MAX_PAUSE_MILLIS)) {
            RedisTier.Lease lease = redis.acquireLease(id, token, leaseTtl, staleWindow);
            switch (lease.state()) {
                case FRESH -> {
                    return lease.entry().orElseThrow().found();
                }
                case GRANTED -> {
                    return rebuild(id, token);
                }
                case UNAVAILABLE -> {
                    return redis.fallback(id, source);
                }
                case HELD -> {
                    if (lease.entry().isPresent()) {
                        redis.metrics().recordStaleServed();
                        return lease.entry().get().found();
                    }
                    if (System.nanoTime() - giveUp > 0) {
                        return redis.fallback(id, source);
                    }
                    redis.metrics().recordLeaseWait();
                    pause(pause);
                }
            }
        }
    }

    private Optional<Product> rebuild(long id, String token) {
        long start = System.nanoTime();
        Optional<Product> product = source.find(id);
        redis.metrics().recordLoad();
        redis.storeWithLease(id, token, product, (System.nanoTime() - start) / 1000, staleWindow);
        return product;
    }
    // endregion

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CatalogUnavailableException("catalog: interrupted while waiting for another reader's rebuild", e);
        }
    }
}
