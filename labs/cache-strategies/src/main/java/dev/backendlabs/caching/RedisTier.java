package dev.backendlabs.caching;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The Redis side every strategy shares: reading an entry (validated, a bad one deleted), storing
 * one (versioned), evicting one, and the lease of a rebuild. The failure policy lives here, once:
 *
 * <ul>
 *   <li>Every call is bounded by the pool's timeouts (borrow, connect, read): the caller sets them
 *       to its latency budget when it builds the {@link JedisPool}.</li>
 *   <li>A read Redis cannot answer is {@link Unavailable}: the strategy answers from the database.
 *       The database pool then bounds how many such reads run at once.</li>
 *   <li>A store that fails is skipped (the cache is an optimisation); an eviction that fails is
 *       counted as an invalidation failure (the cached copy is stale until its TTL).</li>
 *   <li>A connection error clears the pool's idle connections: after a restart they are all dead,
 *       and the next calls should open new ones rather than fail one by one.</li>
 * </ul>
 */
final class RedisTier {

    private static final LuaScript VERSIONED_STORE = LuaScript.fromClasspath("versioned_store.lua");
    private static final LuaScript LEASE_ACQUIRE = LuaScript.fromClasspath("lease_acquire.lua");
    private static final LuaScript LEASE_STORE = LuaScript.fromClasspath("lease_store.lua");

    /** What a read of a product's key found. */
    sealed interface Lookup permits Hit, Miss, Unavailable {
    }

    /** A valid entry, with the milliseconds its key has left to live. */
    record Hit(CacheEntry entry, long remainingMillis) implements Lookup {
    }

    /** Nothing usable: no key, or a malformed value that was deleted. */
    record Miss() implements Lookup {
    }

    /** Redis did not answer within the pool's timeouts. */
    record Unavailable() implements Lookup {
    }

    /** The answer of {@code lease_acquire.lua}; {@code entry} is the fresh or stale value, if any. */
    record Lease(State state, Optional<CacheEntry> entry) {
        enum State { FRESH, GRANTED, HELD, UNAVAILABLE }
    }

    private static final Miss MISS = new Miss();
    private static final Unavailable UNAVAILABLE = new Unavailable();

    private final JedisPool pool;
    private final CachePolicy policy;
    private final CacheMetrics metrics;

    RedisTier(JedisPool pool, CachePolicy policy, CacheMetrics metrics) {
        this.pool = pool;
        this.policy = policy;
        this.metrics = metrics;
    }

    CacheMetrics metrics() {
        return metrics;
    }

    // region lookup
    /** GET and PTTL of the product's key in one round trip; a value that is not a valid entry is deleted. */
    Lookup lookup(long id) {
        String key = policy.key(id);
        String value;
        long remainingMillis;
        try (Jedis jedis = pool.getResource()) {
            Pipeline pipeline = jedis.pipelined();
            Response<String> get = pipeline.get(key);
            Response<Long> pttl = pipeline.pttl(key);
            pipeline.sync();
            value = get.get();
            remainingMillis = pttl.get();
        } catch (JedisDataException e) {
            return deletePoisoned(key); // WRONGTYPE: something stored another type under our key
        } catch (JedisException e) {
            return unavailable(e);
        }
        if (value == null) {
            metrics.recordMiss();
            return MISS;
        }
        try {
            CacheEntry entry = EntryCodec.decode(id, value);
            metrics.recordHit(entry);
            return new Hit(entry, remainingMillis);
        } catch (MalformedEntryException e) {
            return deletePoisoned(key);
        }
    }
    // endregion

    /** Loads the product from {@code source}, timing the load, and stores the result (found or not). */
    Optional<Product> loadAndStore(long id, ProductCatalog source) {
        long start = System.nanoTime();
        Optional<Product> product = source.find(id);
        metrics.recordLoad();
        store(id, product, (System.nanoTime() - start) / 1000, Duration.ZERO);
        return product;
    }

    /** A read Redis could not answer, answered by {@code source} and not stored. */
    Optional<Product> fallback(long id, ProductCatalog source) {
        metrics.recordLoad();
        return source.find(id);
    }

    /**
     * Stores the entry unless Redis holds a newer version ({@code versioned_store.lua}), with the
     * policy's TTL (or negative TTL) plus {@code extraTtl}. The entry is validated first: a loader
     * that returned another product gets a {@link MalformedEntryException}, and nothing is stored.
     *
     * @return whether it was stored
     */
    boolean store(long id, Optional<Product> product, long loadMicros, Duration extraTtl) {
        CacheEntry entry = CacheEntry.of(id, product, loadMicros);
        try (Jedis jedis = pool.getResource()) {
            Object stored = VERSIONED_STORE.run(jedis, List.of(policy.key(id)),
                    List.of(EntryCodec.encode(entry), Long.toString(entry.version()), Long.toString(ttlMillis(product, extraTtl))));
            return Long.valueOf(1).equals(stored);
        } catch (JedisException e) {
            unavailable(e);
            return false;
        }
    }

    /**
     * Deletes the product's key and its lease (which voids any rebuild in flight).
     *
     * @return false if Redis could not be reached: the cached copy, if any, is stale until its TTL
     */
    boolean invalidate(long id) {
        try (Jedis jedis = pool.getResource()) {
            jedis.del(policy.key(id), policy.leaseKey(id));
            return true;
        } catch (JedisException e) {
            unavailable(e);
            metrics.recordInvalidationFailure();
            return false;
        }
    }

    /** {@code lease_acquire.lua}: the fresh value, or the lease to rebuild it, or the stale value while another caller rebuilds. */
    Lease acquireLease(long id, String token, Duration leaseTtl, Duration staleWindow) {
        List<?> reply;
        try (Jedis jedis = pool.getResource()) {
            reply = (List<?>) LEASE_ACQUIRE.run(jedis, List.of(policy.key(id), policy.leaseKey(id)),
                    List.of(token, Long.toString(leaseTtl.toMillis()), Long.toString(staleWindow.toMillis())));
        } catch (JedisException e) {
            unavailable(e);
            return new Lease(Lease.State.UNAVAILABLE, Optional.empty());
        }
        Lease.State state = switch ((String) reply.get(0)) {
            case "fresh" -> Lease.State.FRESH;
            case "lease" -> Lease.State.GRANTED;
            default -> Lease.State.HELD;
        };
        Optional<CacheEntry> entry = Optional.empty();
        if (reply.size() > 1 && reply.get(1) != null) {
            try {
                entry = Optional.of(EntryCodec.decode(id, (String) reply.get(1)));
            } catch (MalformedEntryException e) {
                deletePoisoned(policy.key(id));
                return new Lease(state == Lease.State.FRESH ? Lease.State.HELD : state, Optional.empty());
            }
        }
        if (state == Lease.State.FRESH) {
            metrics.recordHit(entry.orElseThrow());
        } else {
            metrics.recordMiss();
        }
        return new Lease(state, entry);
    }

    /** {@code lease_store.lua}: stores only if the lease still holds {@code token}; a write in between deleted it. */
    boolean storeWithLease(long id, String token, Optional<Product> product, long loadMicros, Duration extraTtl) {
        CacheEntry entry = CacheEntry.of(id, product, loadMicros);
        try (Jedis jedis = pool.getResource()) {
            Object stored = LEASE_STORE.run(jedis, List.of(policy.key(id), policy.leaseKey(id)),
                    List.of(token, EntryCodec.encode(entry), Long.toString(ttlMillis(product, extraTtl))));
            if (Long.valueOf(1).equals(stored)) {
                return true;
            }
            metrics.recordLeaseVoided();
            return false;
        } catch (JedisException e) {
            unavailable(e);
            return false;
        }
    }

    private long ttlMillis(Optional<Product> product, Duration extraTtl) {
        return (product.isPresent() ? policy.ttl() : policy.negativeTtl()).plus(extraTtl).toMillis();
    }

    // region poisoned
    /** Deletes a value that is not a valid entry, so that one read pays for it instead of every read until its TTL. */
    private Lookup deletePoisoned(String key) {
        metrics.recordPoisoned();
        metrics.recordMiss();
        try (Jedis jedis = pool.getResource()) {
            jedis.del(key);
        } catch (JedisException e) {
            unavailable(e);
        }
        return MISS;
    }
    // endregion

    private Lookup unavailable(JedisException e) {
        metrics.recordRedisFailure();
        if (e instanceof JedisConnectionException) {
            pool.clear(); // idle connections date from before the same outage
        }
        return UNAVAILABLE;
    }
}
