package dev.backendlabs.shared.load;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Drives an operation from N concurrent workers until a total operation count or a duration is
 * reached, whichever comes first, and measures throughput and latency.
 *
 * <pre>{@code
 * LoadResult result = LoadRunner.workers(32).operations(100_000).duration(Duration.ofSeconds(30))
 *         .run((worker, sequence) -> limiter.tryAcquire("hot-key"));
 * }</pre>
 *
 * <p>Workers take sequence numbers from one shared counter, so exactly {@code operations} run
 * when the count bound is reached first. All workers start together on a latch, so the ramp-up
 * of thread creation is not measured. An operation that throws is counted as an error by
 * exception class and the run goes on: a load test that stops at the first error hides the
 * error rate, which is often the point of the lab. An {@link Error} — a failed assertion inside
 * the operation — is different: it ends the run at once (the other workers are interrupted) and
 * is rethrown as it is, so a test fails with its own message instead of a count.
 */
public final class LoadRunner {

    /** One unit of work; {@code sequence} is unique across workers, starting at 0. */
    @FunctionalInterface
    public interface Operation {
        void run(int worker, long sequence) throws Exception;
    }

    private final int workers;
    private long operations = Long.MAX_VALUE;
    private Duration duration;
    private Duration minimumDuration;
    private boolean virtualThreads;
    private Duration thinkTime = Duration.ZERO;

    private LoadRunner(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        this.workers = workers;
    }

    /** A closed loop: {@code workers} clients, each sending its next request when the previous one returned. */
    public static LoadRunner workers(int workers) {
        return new LoadRunner(workers);
    }

    /**
     * An open loop: requests arrive at {@code perSecond} whatever happens to earlier ones, the way
     * independent users arrive. Use it to model users; use {@link #workers(int)} only for "as fast
     * as it goes" throughput.
     */
    public static OpenLoopRunner atRate(double perSecond) {
        return new OpenLoopRunner(perSecond);
    }

    /** Stops after this many operations in total. */
    public LoadRunner operations(long operations) {
        if (operations < 1) {
            throw new IllegalArgumentException("operations must be >= 1, got " + operations);
        }
        this.operations = operations;
        return this;
    }

    /** Stops starting new operations after this long. */
    public LoadRunner duration(Duration duration) {
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("duration must be positive, got " + duration);
        }
        this.duration = duration;
        return this;
    }

    /**
     * Keeps going past the operation count until at least this long has passed: "at least n
     * operations and at least d", for runs that must both reach a count and span some time.
     */
    public LoadRunner minimumDuration(Duration minimum) {
        if (minimum.isNegative() || minimum.isZero()) {
            throw new IllegalArgumentException("minimum duration must be positive, got " + minimum);
        }
        this.minimumDuration = minimum;
        return this;
    }

    /**
     * A pause after each operation, not part of its latency: a closed-loop client that thinks
     * between requests. With one worker, {@code thinkTime} paces it to a rate, which shows what a
     * closed loop hides: while the server stalls, it simply sends nothing.
     */
    public LoadRunner thinkTime(Duration pause) {
        if (pause.isNegative()) {
            throw new IllegalArgumentException("think time must be >= 0, got " + pause);
        }
        this.thinkTime = pause;
        return this;
    }

    /**
     * Runs workers on virtual threads instead of platform threads: for workers that mostly wait
     * (thousands of simulated clients), not for CPU-bound ones.
     */
    public LoadRunner virtualThreads(boolean virtual) {
        this.virtualThreads = virtual;
        return this;
    }

    /**
     * Runs the load and waits for it to finish.
     *
     * @throws IllegalStateException if neither an operation count nor a duration bounds the run
     */
    public LoadResult run(Operation operation) throws InterruptedException {
        if (operations == Long.MAX_VALUE && duration == null || minimumDuration != null && operations == Long.MAX_VALUE) {
            throw new IllegalStateException("Bound the run with operations(n) and/or duration(d); minimumDuration(d) needs operations(n)");
        }
        LatencyRecorder latency = new LatencyRecorder();
        AtomicLong tickets = new AtomicLong();
        ErrorTally errors = new ErrorTally();
        CountDownLatch start = new CountDownLatch(1);
        long[] deadline = new long[2];
        AtomicReference<Error> fatal = new AtomicReference<>();

        try (ExecutorService executor = virtualThreads
                ? Executors.newVirtualThreadPerTaskExecutor()
                : Executors.newFixedThreadPool(workers)) {
            CompletionService<Void> running = new ExecutorCompletionService<>(executor);
            for (int w = 0; w < workers; w++) {
                int worker = w;
                running.submit(() -> {
                    start.await();
                    while (fatal.get() == null) {
                        long sequence = tickets.getAndIncrement();
                        long now = System.nanoTime();
                        boolean counted = sequence >= operations && (minimumDuration == null || now - deadline[1] >= 0);
                        if (counted || (duration != null && now - deadline[0] >= 0)) {
                            return null;
                        }
                        long begin = System.nanoTime();
                        try {
                            operation.run(worker, sequence);
                        } catch (InterruptedException e) {
                            throw e;
                        } catch (Exception e) {
                            errors.add(e);
                        } catch (Error e) {
                            fatal.compareAndSet(null, e);
                        } finally {
                            latency.recordSince(begin);
                        }
                        if (!thinkTime.isZero()) {
                            Thread.sleep(thinkTime);
                        }
                    }
                    return null;
                });
            }
            long begin = System.nanoTime();
            deadline[0] = duration == null ? 0 : begin + duration.toNanos();
            deadline[1] = minimumDuration == null ? 0 : begin + minimumDuration.toNanos();
            start.countDown();
            for (int finished = 0; finished < workers; finished++) {
                try {
                    running.take().get();
                } catch (ExecutionException e) {
                    executor.shutdownNow();
                    throw new IllegalStateException("A load worker failed", e.getCause());
                }
                if (fatal.get() != null) {
                    executor.shutdownNow();
                    throw fatal.get();
                }
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - begin);
            LatencySummary summary = latency.summary();
            return new LoadResult(summary.count(), errors.total(), errors.byType(), elapsed, summary);
        }
    }
}
