package dev.backendlabs.idempotency;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of a key store, for a dashboard. Alert on {@link #fenced()} (owners that outlived their
 * lease: the lease is too short for the provider's latency) and on the completer's stuck keys; watch
 * {@link #mismatches()} (a client reusing keys) and {@link #conflicts()} (clients retrying too eagerly).
 */
public final class IdempotencyMetrics {

    private final LongAdder claims = new LongAdder();
    private final LongAdder takeOvers = new LongAdder();
    private final LongAdder replays = new LongAdder();
    private final LongAdder conflicts = new LongAdder();
    private final LongAdder mismatches = new LongAdder();
    private final LongAdder fenced = new LongAdder();
    private final LongAdder released = new LongAdder();
    private final LongAdder serializationRetries = new LongAdder();
    private final LongAdder lockTimeouts = new LongAdder();

    void count(Claim claim) {
        switch (claim) {
            case Claim.Owned owned -> (owned.lease().token() == 1 ? claims : takeOvers).increment();
            case Claim.Replay replay -> replays.increment();
            case Claim.InFlight inFlight -> conflicts.increment();
            case Claim.Mismatch mismatch -> mismatches.increment();
        }
    }

    void fence() {
        fenced.increment();
    }

    void release() {
        released.increment();
    }

    void serializationRetry() {
        serializationRetries.increment();
    }

    void lockTimeout() {
        lockTimeouts.increment();
    }

    /** Keys claimed for the first time. */
    public long claims() {
        return claims.sum();
    }

    /** Keys resumed by a new owner after a release or an expired lease. */
    public long takeOvers() {
        return takeOvers.sum();
    }

    public long replays() {
        return replays.sum();
    }

    /** 409s: the key was in use, or its row locked past the lock timeout. */
    public long conflicts() {
        return conflicts.sum();
    }

    /** 422s: a key reused with another request. */
    public long mismatches() {
        return mismatches.sum();
    }

    /** Writes refused by the fence: an owner whose key had been taken over or already recorded. */
    public long fenced() {
        return fenced.sum();
    }

    /** Keys unlocked after a transient failure, for the client to retry. */
    public long released() {
        return released.sum();
    }

    /** Transactions run again after SQLSTATE 40001. */
    public long serializationRetries() {
        return serializationRetries.sum();
    }

    /** Claims that gave up on a row lock (SQLSTATE 55P03). */
    public long lockTimeouts() {
        return lockTimeouts.sum();
    }
}
