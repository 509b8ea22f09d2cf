package dev.backendlabs.pooling;

import java.time.Duration;

/**
 * THE PATTERN: size a connection pool from Little's law, not from the number of threads.
 *
 * <p>A pool is a queue in front of a server. Little's law, {@code L = λ·W}, says how many
 * connections are busy on average: the rate of requests that need one times how long each holds
 * it. Turned around, {@code N} connections each held for {@code H} cap throughput at {@code N/H},
 * whatever else the application does — a 200 ms call made while holding a connection caps a pool
 * of 10 at 50 requests per second with the database idle. And a thread that holds {@code C}
 * connections at once needs a pool of at least {@code T·(C−1)+1} for {@code T} such threads, or
 * all of them can end up each holding some and waiting for one more.
 *
 * <p>These are starting points to measure from: the database's own capacity (its cores, its
 * disks) decides where more connections stop helping, which the lab's sweep shows.
 */
public final class PoolMath {

    private PoolMath() {
    }

    /**
     * Connections busy on average at {@code perSecond} requests that each hold one for
     * {@code holdTime}, rounded up: {@code ⌈λ·W⌉}. A pool needs at least this many to keep up, and
     * more to absorb bursts (use a high percentile of the hold time for headroom).
     *
     * @throws IllegalArgumentException if the rate is not a positive finite number or the hold time is not positive
     */
    public static int connectionsFor(double perSecond, Duration holdTime) {
        requireRate(perSecond);
        requirePositive(holdTime, "hold time");
        // region littles-law
        double busy = perSecond * holdTime.toNanos() / 1e9;         // L = λ·W
        if (busy > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("λ·W = " + busy + " connections: no pool is that large; check the units");
        }
        return (int) Math.ceil(busy - 1e-9);
        // endregion
    }

    /**
     * The most requests per second {@code connections} can serve when each holds its connection
     * for {@code holdTime}: {@code N/H}.
     *
     * @throws IllegalArgumentException if {@code connections < 1} or the hold time is not positive
     */
    public static double throughputCeiling(int connections, Duration holdTime) {
        requireAtLeastOne(connections, "connections");
        requirePositive(holdTime, "hold time");
        return connections * 1e9 / holdTime.toNanos();
    }

    /**
     * The smallest pool with which {@code threads} threads, each holding up to
     * {@code connectionsPerThread} connections at once, cannot all be stuck waiting:
     * {@code T·(C−1)+1}. With one connection fewer, every thread can hold {@code C−1} and wait for
     * its last one until the pool's timeout.
     *
     * @throws IllegalArgumentException if either count is below 1
     */
    public static int deadlockFreeMinimum(int threads, int connectionsPerThread) {
        requireAtLeastOne(threads, "threads");
        requireAtLeastOne(connectionsPerThread, "connections per thread");
        // region pool-locking
        return Math.addExact(Math.multiplyExact(threads, connectionsPerThread - 1), 1);   // Tn·(Cm−1)+1
        // endregion
    }

    /**
     * The PostgreSQL wiki's starting point: {@code cores × 2 + effective spindles} (physical cores,
     * not hyper-threads; spindles 0 when the working set is cached).
     *
     * @throws IllegalArgumentException if {@code cores < 1} or {@code spindles < 0}
     */
    public static int startingPoolSize(int cores, int spindles) {
        requireAtLeastOne(cores, "cores");
        if (spindles < 0) {
            throw new IllegalArgumentException("spindles must be >= 0, got " + spindles);
        }
        return Math.addExact(Math.multiplyExact(cores, 2), spindles);
    }

    private static void requireRate(double perSecond) {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("rate must be a positive number of requests per second, got " + perSecond);
        }
    }

    private static void requirePositive(Duration duration, String what) {
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + duration);
        }
    }

    private static void requireAtLeastOne(int value, String what) {
        if (value < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + value);
        }
    }
}
