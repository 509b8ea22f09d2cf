package dev.backendlabs.caching;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a cache strategy counts, for dashboards and alerts. The ones to alert on: a rising
 * {@link #redisFailures()} (reads are falling through to the database), any
 * {@link #invalidationFailures()} (a write could not evict its cached copy: that copy is stale
 * until its TTL) and any {@link #poisonedEntries()} (something wrote values this code cannot read).
 */
public final class CacheMetrics {

    private final LongAdder hits = new LongAdder();
    private final LongAdder negativeHits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder loads = new LongAdder();
    private final LongAdder poisonedEntries = new LongAdder();
    private final LongAdder redisFailures = new LongAdder();
    private final LongAdder invalidationFailures = new LongAdder();
    private final LongAdder staleServed = new LongAdder();
    private final LongAdder leaseWaits = new LongAdder();
    private final LongAdder leasesVoided = new LongAdder();
    private final LongAdder earlyRefreshes = new LongAdder();

    /** Reads answered by Redis with a product. */
    public long hits() {
        return hits.sum();
    }

    /** Reads answered by Redis with a cached "not found". */
    public long negativeHits() {
        return negativeHits.sum();
    }

    /** Reads that found nothing usable in Redis. */
    public long misses() {
        return misses.sum();
    }

    /** Database loads this strategy made to fill the cache (fallbacks while Redis is down included). */
    public long loads() {
        return loads.sum();
    }

    /** Values found under a product's key that were not valid entries, and were deleted. */
    public long poisonedEntries() {
        return poisonedEntries.sum();
    }

    /** Redis calls that failed or timed out; the strategy then answered from the database or skipped the store. */
    public long redisFailures() {
        return redisFailures.sum();
    }

    /** Writes whose eviction (or publication) of the cached copy failed: that copy is stale until its TTL. */
    public long invalidationFailures() {
        return invalidationFailures.sum();
    }

    /** Reads answered with a stale value while another caller rebuilt it (stale-while-revalidate). */
    public long staleServed() {
        return staleServed.sum();
    }

    /** Pauses of readers that found no value while another caller held the lease to rebuild it. */
    public long leaseWaits() {
        return leaseWaits.sum();
    }

    /** Rebuilds whose lease a write deleted while they loaded: their (possibly stale) value was not stored. */
    public long leasesVoided() {
        return leasesVoided.sum();
    }

    /** XFetch: rebuilds started before the TTL ran out. */
    public long earlyRefreshes() {
        return earlyRefreshes.sum();
    }

    /** Hits over all reads Redis answered or missed: {@code (hits + negative hits) / (hits + negative hits + misses)}. */
    public double hitRatio() {
        long answered = hits() + negativeHits();
        long total = answered + misses();
        return total == 0 ? 0 : (double) answered / total;
    }

    void recordHit(CacheEntry entry) {
        (entry.product() == null ? negativeHits : hits).increment();
    }

    void recordMiss() {
        misses.increment();
    }

    void recordLoad() {
        loads.increment();
    }

    void recordPoisoned() {
        poisonedEntries.increment();
    }

    void recordRedisFailure() {
        redisFailures.increment();
    }

    void recordInvalidationFailure() {
        invalidationFailures.increment();
    }

    void recordStaleServed() {
        staleServed.increment();
    }

    void recordLeaseWait() {
        leaseWaits.increment();
    }

    void recordLeaseVoided() {
        leasesVoided.increment();
    }

    void recordEarlyRefresh() {
        earlyRefreshes.increment();
    }
}
