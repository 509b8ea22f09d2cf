package dev.backendlabs.caching;

import java.time.Duration;

/**
 * Where and how long a strategy caches in Redis.
 *
 * <p>Every entry has a TTL — none is ever stored without one, so whatever goes wrong (a lost
 * invalidation, a stale set, a poisoned value) ends by itself. A cached "not found" gets its own,
 * shorter TTL, never longer than a product's (RFC 2308 caps negative answers the same way): a
 * product created through another path than this catalog stays invisible at most that long.
 *
 * @param keyPrefix   prefix of every key, e.g. {@code shop:product:v1:}; put a schema version in it
 * @param ttl         how long a product stays cached
 * @param negativeTtl how long a "not found" stays cached, at most {@code ttl}
 */
public record CachePolicy(String keyPrefix, Duration ttl, Duration negativeTtl) {

    public CachePolicy {
        if (keyPrefix == null || keyPrefix.isBlank() || keyPrefix.contains("{") || keyPrefix.contains("}")) {
            throw new CatalogArgumentException("keyPrefix", "a non-blank text without braces", keyPrefix);
        }
        if (ttl == null || ttl.toMillis() < 1) {
            throw new CatalogArgumentException("ttl", "at least 1 ms", ttl);
        }
        if (negativeTtl == null || negativeTtl.toMillis() < 1 || negativeTtl.compareTo(ttl) > 0) {
            throw new CatalogArgumentException("negativeTtl", "from 1 ms to the ttl (" + ttl + ")", negativeTtl);
        }
    }

    /**
     * The product's key: {@code prefix{id}}. The braces are a Redis Cluster hash tag, so the key
     * and its lease ({@link #leaseKey}) live in the same slot and one script can touch both.
     */
    public String key(long id) {
        return keyPrefix + "{" + id + "}";
    }

    /** The key of the product's lease (a short lock on rebuilding it). */
    public String leaseKey(long id) {
        return key(id) + ":lease";
    }
}
