package dev.backendlabs.shared.net;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One direction of a {@link FaultProxy}, shared by that direction's pipe in every connection, like one network link: its
 * latency, its bandwidth, its byte budget before a stall, and the count of bytes it carried. Changed only through
 * {@link Faults#change}, so that pipes holding bytes look again.
 */
final class Lane {

    private static final long UNLIMITED = -1;
    private static final Latency NO_LATENCY = new Latency(0, 0);

    private record Latency(long baseNanos, long jitterNanos) {
    }

    private final Random random;
    private final AtomicLong wireFreeAt = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong budget = new AtomicLong(UNLIMITED);
    private final LongAdder forwarded = new LongAdder();
    private volatile Latency latency = NO_LATENCY;
    private volatile long bytesPerSecond;

    /** @param seed the jitter's random seed, so that a run's delays can be replayed */
    Lane(long seed) {
        this.random = new Random(seed);
    }

    void latency(Duration base, Duration jitter) {
        latency = new Latency(base.toNanos(), jitter.toNanos());
    }

    void bandwidth(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    void timeoutAfter(long bytes) {
        budget.set(bytes);
    }

    void clear() {
        latency = NO_LATENCY;
        bytesPerSecond = 0;
        budget.set(UNLIMITED);
    }

    /** The delay of the next chunk: the latency plus a uniform draw in [-jitter, +jitter]. */
    long delayNanos() {
        Latency current = latency;
        return current.jitterNanos() == 0 ? current.baseNanos()
                : current.baseNanos() + random.nextLong(-current.jitterNanos(), current.jitterNanos() + 1);
    }

    /**
     * The most to write at once out of {@code remaining} bytes: at most 100 ms of wire time, so that a slow link trickles
     * like a real one instead of pausing and then bursting.
     */
    int slice(int remaining) {
        long rate = bytesPerSecond;
        return rate == 0 ? remaining : (int) Math.min(remaining, Math.max(1, rate / 10));
    }

    /**
     * Takes up to {@code wanted} bytes from the budget left before the stall; all of them when there is no stall ahead,
     * 0 once the budget is spent.
     */
    int take(int wanted) {
        long before = budget.getAndUpdate(left -> left == UNLIMITED ? UNLIMITED : left - Math.min(left, wanted));
        return before == UNLIMITED ? wanted : (int) Math.min(before, wanted);
    }

    boolean stalled() {
        return budget.get() == 0;
    }

    /**
     * Sleeps until the link has carried {@code bytes} more at its bandwidth: a token bucket that holds no burst, so that
     * every byte costs 1/rate seconds of wire time, as on a link of that speed. The wire is shared by all connections.
     */
    void pace(int bytes) throws InterruptedException {
        long rate = bytesPerSecond;
        if (rate == 0) {
            return;
        }
        long cost = bytes * TimeUnit.SECONDS.toNanos(1) / rate;
        long now = System.nanoTime();
        long sent = wireFreeAt.updateAndGet(free -> Math.max(free, now) + cost);
        TimeUnit.NANOSECONDS.sleep(sent - now);
    }

    void forwarded(int bytes) {
        forwarded.add(bytes);
    }

    long bytes() {
        return forwarded.sum();
    }
}
