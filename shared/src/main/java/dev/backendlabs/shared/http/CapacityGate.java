package dev.backendlabs.shared.http;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The workers of a bounded server and the queue in front of them: a request takes a free worker,
 * or waits its turn (first come, first served) if at most {@code queueLimit} others are waiting, or
 * is turned away at once. A released worker is handed straight to the head of the queue, so a
 * newcomer never overtakes a waiting request and the queue length is exact.
 *
 * <p>The gate only measures how long a request waited; what happens to a request that waited past
 * the queue timeout (work anyway, or shed) is the {@link Downstream}'s decision.
 */
final class CapacityGate {

    /** What {@link #enter()} returns for a request turned away because the queue is full. */
    static final long REJECTED = -1;

    private final int workers;
    private final int queueLimit;
    private final long queueTimeoutNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<CountDownLatch> queue = new ArrayDeque<>();
    private int busy;

    CapacityGate(int workers, int queueLimit, Duration queueTimeout) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        if (queueLimit < 0) {
            throw new IllegalArgumentException("queueLimit must be >= 0, got " + queueLimit);
        }
        if (queueTimeout.isNegative()) {
            throw new IllegalArgumentException("queueTimeout must be >= 0, got " + queueTimeout);
        }
        this.workers = workers;
        this.queueLimit = queueLimit;
        this.queueTimeoutNanos = queueTimeout.toNanos();
    }

    /**
     * Takes a worker, waiting in the queue if all are busy.
     *
     * @return nanoseconds spent waiting, or {@link #REJECTED} at once when the queue is full
     */
    long enter() throws InterruptedException {
        long start = System.nanoTime();
        CountDownLatch turn = new CountDownLatch(1);
        lock.lock();
        try {
            // Workers are handed over in release(), so a free worker means nobody is waiting.
            if (busy < workers) {
                busy++;
                return 0;
            }
            if (queue.size() >= queueLimit) {
                return REJECTED;
            }
            queue.addLast(turn);
        } finally {
            lock.unlock();
        }
        try {
            turn.await();
        } catch (InterruptedException e) {
            leave(turn);
            throw e;
        }
        return System.nanoTime() - start;
    }

    /** Gives the worker to the first waiting request, or frees it. */
    void release() {
        lock.lock();
        try {
            CountDownLatch next = queue.pollFirst();
            if (next != null) {
                next.countDown();
            } else {
                busy--;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether a request that waited this long has outlived the queue timeout. */
    boolean expired(long waitedNanos) {
        return waitedNanos > queueTimeoutNanos;
    }

    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** An interrupted waiter leaves the queue, or, if a worker was handed to it meanwhile, passes that worker on. */
    private void leave(CountDownLatch turn) {
        lock.lock();
        try {
            if (!queue.remove(turn)) {
                release();
            }
        } finally {
            lock.unlock();
        }
    }
}
