package dev.backendlabs.shared.http;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalInt;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What a {@link Downstream} answers instead of doing its work: injected error statuses drawn at
 * their rates, and one outage window. Changes take effect for requests that arrive after them;
 * clearing or replacing a hang window also releases the requests it holds.
 *
 * <p>Error rates live in a sorted map so that a seeded generator assigns the same statuses to the
 * same draws in every run (the iteration order of {@code Map.of} changes between JVMs).
 */
final class Faults {

    /** Tolerance on the sum of the error rates, for rates like 0.1 + 0.2 that do not add up exactly in binary. */
    private static final double RATE_EPSILON = 1e-9;

    private final long seed;
    private final Random random;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition windowChanged = lock.newCondition();
    private volatile NavigableMap<Integer, Double> errorRates = Collections.emptyNavigableMap();
    private volatile Window window;

    Faults(long seed) {
        this.seed = seed;
        this.random = new Random(seed);
    }

    static void requireErrorStatus(int status) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("An injected status must be an error status (400 to 599), got " + status);
        }
    }

    /** Answers {@code rate} of the requests with {@code status}; rate 0 removes the status. */
    void errors(int status, double rate) {
        requireErrorStatus(status);
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("An error rate must be within [0, 1], got " + rate);
        }
        lock.lock();
        try {
            NavigableMap<Integer, Double> rates = new TreeMap<>(errorRates);
            if (rate == 0) {
                rates.remove(status);
            } else {
                rates.put(status, rate);
            }
            double total = rates.values().stream().mapToDouble(Double::doubleValue).sum();
            if (total > 1 + RATE_EPSILON) {
                throw new IllegalArgumentException("Error rates would add up to " + total + " (more than every request): " + rates);
            }
            errorRates = Collections.unmodifiableNavigableMap(rates);
        } finally {
            lock.unlock();
        }
    }

    /** Starts an outage {@code delay} from now, lasting {@code duration} (null: until cleared). */
    void outage(Outage outage, Duration delay, Duration duration) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("An outage cannot start in the past, got a delay of " + delay);
        }
        if (duration != null && (duration.isNegative() || duration.isZero())) {
            throw new IllegalArgumentException("An outage must last a positive duration, got " + duration);
        }
        Window next = new Window(outage, System.nanoTime() + delay.toNanos(), duration == null ? Long.MAX_VALUE : duration.toNanos());
        changeWindow(next);
    }

    void clearOutage() {
        changeWindow(null);
    }

    /** No errors and no outage. */
    void clear() {
        lock.lock();
        try {
            errorRates = Collections.emptyNavigableMap();
            changeWindow(null);
        } finally {
            lock.unlock();
        }
    }

    /** As when the downstream started: no faults, and the generator back at its seed. */
    void reset() {
        clear();
        random.setSeed(seed);
    }

    /**
     * Holds the calling request while a hang window is on; returns when it ends, is cleared or
     * replaced. Closing the server interrupts the wait.
     */
    void awaitHangEnd() throws InterruptedException {
        if (!hangs(window, System.nanoTime())) {
            return;
        }
        lock.lock();
        try {
            for (Window current = window; hangs(current, System.nanoTime()); current = window) {
                windowChanged.awaitNanos(current.remainingNanos(System.nanoTime()));
            }
        } finally {
            lock.unlock();
        }
    }

    /** The status to answer instead of working: a fail-fast outage's, or an error status drawn at its rate. */
    OptionalInt injectedStatus() {
        Window current = window;
        if (current != null && current.outage() instanceof Outage.FailFast(int status) && current.activeAt(System.nanoTime())) {
            return OptionalInt.of(status);
        }
        NavigableMap<Integer, Double> rates = errorRates;
        if (rates.isEmpty()) {
            return OptionalInt.empty();
        }
        double draw = random.nextDouble();
        double cumulative = 0;
        for (Map.Entry<Integer, Double> rate : rates.entrySet()) {
            cumulative += rate.getValue();
            if (draw < cumulative) {
                return OptionalInt.of(rate.getKey());
            }
        }
        return OptionalInt.empty();
    }

    private void changeWindow(Window next) {
        lock.lock();
        try {
            window = next;
            windowChanged.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private static boolean hangs(Window window, long now) {
        return window != null && window.outage() instanceof Outage.Hang && window.activeAt(now);
    }

    /**
     * An outage from {@code startNanos} (a {@link System#nanoTime()} value) for {@code durationNanos};
     * {@code Long.MAX_VALUE} lasts until cleared.
     */
    private record Window(Outage outage, long startNanos, long durationNanos) {

        boolean activeAt(long now) {
            long since = now - startNanos;
            return since >= 0 && since < durationNanos;
        }

        long remainingNanos(long now) {
            return durationNanos - (now - startNanos);
        }
    }
}
