package dev.backendlabs.caching;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * THE PATTERN: two tiers — a small in-process L1 (Caffeine, W-TinyLFU) in front of the shared L2
 * (any Redis strategy) — with invalidation over Redis pub/sub.
 *
 * <p>An L1 hit costs no round trip at all; the price is that each process now holds its own copy,
 * which a write on another process does not touch. So a write commits (through the L2, which
 * deletes the shared copy), evicts its own L1 entry, then publishes the id on a channel every
 * instance subscribes to, and each evicts its copy when the message arrives: staleness is bounded
 * by a pub/sub delivery instead of the L1 TTL. The L1 TTL stays as the bound for whatever pub/sub
 * loses (it is at-most-once); a (re)subscription flushes the whole L1 (see
 * {@link InvalidationSubscriber}).
 *
 * <p>Caffeine runs a load of a key and an eviction of the same key one after the other, never
 * interleaved, so an invalidation that arrives while this instance is loading the old copy from
 * the L2 removes that copy instead of being overtaken by it. "Not found" is not kept in the L1: the
 * L2 caches it, and a product created elsewhere must not stay invisible for the L1's TTL.
 */
public final class TwoTierCache implements ProductCatalog, AutoCloseable {

    private final ProductCatalog l2;
    private final Cache<Long, Product> l1;
    private final JedisPool pool;
    private final String channel;
    private final InvalidationSubscriber subscriber;
    private final LongAdder publishFailures = new LongAdder();

    /**
     * The size and TTL of the L1.
     *
     * @param maximumSize the most products an instance keeps
     * @param ttl         the longest an instance serves a copy: the staleness bound when invalidations are lost
     */
    public record L1Policy(long maximumSize, Duration ttl) {
        public L1Policy {
            if (maximumSize < 1) {
                throw new CatalogArgumentException("maximumSize", "at least 1", maximumSize);
            }
            if (ttl == null || ttl.toMillis() < 1) {
                throw new CatalogArgumentException("ttl", "at least 1 ms", ttl);
            }
        }
    }

    private TwoTierCache(ProductCatalog l2, L1Policy policy, JedisPool pool, String channel, Supplier<Jedis> subscriptions) {
        this.l2 = l2;
        this.l1 = Caffeine.newBuilder().maximumSize(policy.maximumSize()).expireAfterWrite(policy.ttl()).recordStats().build();
        this.pool = pool;
        this.channel = channel;
        this.subscriber = subscriptions == null ? null
                : new InvalidationSubscriber(subscriptions, channel, l1::invalidate, l1::invalidateAll);
    }

    /**
     * An L1 kept consistent by pub/sub.
     *
     * @param pool          where writes publish their invalidations
     * @param channel       the channel every instance of the service shares
     * @param subscriptions opens the dedicated connection of the subscription (not from the pool: it is held for good),
     *                      with a socket timeout above {@value InvalidationSubscriber#PING_MILLIS} ms
     */
    public static TwoTierCache withInvalidation(ProductCatalog l2, L1Policy policy, JedisPool pool, String channel,
                                                Supplier<Jedis> subscriptions) {
        if (channel == null || channel.isBlank()) {
            throw new CatalogArgumentException("channel", "a non-blank channel name", channel);
        }
        return new TwoTierCache(l2, policy, pool, channel, subscriptions);
    }

    /** An L1 that nothing invalidates: another instance's write is seen when the copy's TTL ends. */
    public static TwoTierCache ttlOnly(ProductCatalog l2, L1Policy policy) {
        return new TwoTierCache(l2, policy, null, null, null);
    }

    // region read
    @Override
    public Optional<Product> find(long id) {
        CatalogArgumentException.requireProductId(id);
        return Optional.ofNullable(l1.get(id, key -> l2.find(key).orElse(null)));
    }
    // endregion

    // region write
    @Override
    public Product updatePrice(long id, long priceCents) {
        Product committed = l2.updatePrice(id, priceCents); // the database commits, then the L2 deletes its copy
        evictEverywhere(id);
        return committed;
    }
    // endregion

    @Override
    public Product create(long id, String sku, String name, int categoryId, long priceCents) {
        Product committed = l2.create(id, sku, name, categoryId, priceCents);
        evictEverywhere(id);
        return committed;
    }

    // region evict-everywhere
    private void evictEverywhere(long id) {
        l1.invalidate(id);
        if (pool == null) {
            return;
        }
        try (Jedis jedis = pool.getResource()) {
            jedis.publish(channel, Long.toString(id));
        } catch (JedisException e) {
            publishFailures.increment(); // the other instances serve their copy until its TTL or their next resubscription
        }
    }
    // endregion

    /** The shared tier this cache reads through, e.g. for its {@link CacheMetrics}. */
    public ProductCatalog l2() {
        return l2;
    }

    /** Whether this instance's invalidation subscription is up (always false for {@link #ttlOnly}). */
    public boolean subscribed() {
        return subscriber != null && subscriber.subscribed();
    }

    /** Caffeine's statistics of the L1: hits, misses, evictions. */
    public CacheStats l1Stats() {
        return l1.stats();
    }

    /** Invalidation messages this instance received. */
    public long invalidationsReceived() {
        return subscriber == null ? 0 : subscriber.received();
    }

    /** Whole-L1 flushes: one per (re)subscription. */
    public long l1Flushes() {
        return subscriber == null ? 0 : subscriber.flushes();
    }

    /** Writes whose invalidation could not be published: other instances may serve the old copy until their L1 TTL. */
    public long publishFailures() {
        return publishFailures.sum();
    }

    /** Stops the subscription. The L2 and the pool belong to the caller. */
    @Override
    public void close() {
        if (subscriber != null) {
            subscriber.close();
        }
    }
}
