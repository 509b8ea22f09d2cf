package dev.backendlabs.circuitbreaker;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many threads are inside a section now, and the most there ever were at once: for a caller, the threads blocked on its
 * dependency, the number that decides whether the rest of the service still has threads to run on. Export both; alert on
 * {@link #current()} approaching the worker pool.
 */
public final class ConcurrencyGauge {

    private final AtomicInteger current = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();

    /** A thread enters the section; pair with {@link #exit()} in a {@code finally}. */
    public void enter() {
        int now = current.incrementAndGet();
        peak.accumulateAndGet(now, Math::max);
    }

    public void exit() {
        current.decrementAndGet();
    }

    public int current() {
        return current.get();
    }

    /** The highest {@link #current()} since the gauge was created. */
    public int peak() {
        return peak.get();
    }
}
