package dev.backendlabs.shared.load;

import org.HdrHistogram.ConcurrentHistogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load: requests arrive at a fixed rate whatever happened to earlier ones, as
 * independent users do, and each request's latency is timed from the moment it was <em>meant</em>
 * to start.
 *
 * <pre>{@code
 * OpenLoopResult result = LoadRunner.atRate(500).duration(Duration.ofSeconds(10)).maxConcurrency(200)
 *         .run(sequence -> client.get(uri));
 * }</pre>
 *
 * <p>Why: a closed loop (N clients, each waiting for its reply before sending again) sends less
 * when the server stalls, so the stall delays only the few requests that were in flight and its
 * percentiles look healthy — coordinated omission. Here the arrival times are computed up front
 * (constant spacing, or Poisson with a seed), a dispatcher starts each request on its own virtual
 * thread at its time, and latency is {@code completion − intended start}: a request that could
 * not even start while the server stalled is charged for the wait. The service time (from the
 * actual start) is recorded beside it, and so is how late the dispatcher itself ran.
 *
 * <p>Requests in flight are capped ({@link #maxConcurrency}); an arrival that finds the cap
 * reached is dropped and counted, as a client with a bounded connection pool would fail it. A
 * request that throws counts as an error by exception class; an {@link Error} (a failed
 * assertion) ends the run and is rethrown as it is.
 */
public final class OpenLoopRunner {

    /** One request; {@code sequence} numbers the arrivals from 0. */
    @FunctionalInterface
    public interface Request {
        void run(long sequence) throws Exception;
    }

    private final double perSecond;
    private Duration duration;
    private int maxConcurrency = 10_000;
    private Long poissonSeed;
    private Duration bucket;
    private Duration drainTimeout = Duration.ofSeconds(60);

    OpenLoopRunner(double perSecond) {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("rate must be a positive number of requests per second, got " + perSecond);
        }
        this.perSecond = perSecond;
    }

    /** How long requests keep arriving. Required. */
    public OpenLoopRunner duration(Duration duration) {
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("duration must be positive, got " + duration);
        }
        this.duration = duration;
        return this;
    }

    /** The most requests in flight at once (default 10,000); arrivals beyond it are dropped and counted. */
    public OpenLoopRunner maxConcurrency(int requests) {
        if (requests < 1) {
            throw new IllegalArgumentException("max concurrency must be >= 1, got " + requests);
        }
        this.maxConcurrency = requests;
        return this;
    }

    /** Exponential gaps between arrivals (a Poisson process) from a seeded generator, instead of constant spacing. */
    public OpenLoopRunner poisson(long seed) {
        this.poissonSeed = seed;
        return this;
    }

    /** Also records successes, errors, drops and p99 per {@code bucket} of intended start time, for charts over time. */
    public OpenLoopRunner timeline(Duration bucket) {
        if (bucket.isNegative() || bucket.isZero()) {
            throw new IllegalArgumentException("timeline bucket must be positive, got " + bucket);
        }
        this.bucket = bucket;
        return this;
    }

    /** How long to wait, after the last arrival, for requests still in flight (default 60 s); later ones count as unfinished. */
    public OpenLoopRunner drainTimeout(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("drain timeout must be >= 0, got " + timeout);
        }
        this.drainTimeout = timeout;
        return this;
    }

    /** The intended start of every arrival, in nanoseconds after the start of the run. */
    long[] schedule() {
        long span = duration.toNanos();
        double gap = 1e9 / perSecond;
        List<Long> offsets = new ArrayList<>();
        SplittableRandom random = poissonSeed == null ? null : new SplittableRandom(poissonSeed);
        double next = random == null ? 0 : -Math.log(1 - random.nextDouble()) * gap;
        while (next < span) {
            offsets.add((long) next);
            next += random == null ? gap : -Math.log(1 - random.nextDouble()) * gap;
        }
        return offsets.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Runs the schedule and waits for the requests in flight (up to the drain timeout).
     *
     * @throws IllegalStateException if no duration was set
     */
    public OpenLoopResult run(Request request) throws InterruptedException {
        if (duration == null) {
            throw new IllegalStateException("Set how long requests arrive: duration(d)");
        }
        long[] schedule = schedule();
        Semaphore slots = new Semaphore(maxConcurrency);
        LatencyRecorder latency = new LatencyRecorder();
        LatencyRecorder serviceTime = new LatencyRecorder();
        ErrorTally errors = new ErrorTally();
        LongAdder completed = new LongAdder();
        LongAdder dropped = new LongAdder();
        AtomicReference<Error> fatal = new AtomicReference<>();
        Buckets buckets = bucket == null ? null : new Buckets(bucket, duration);
        long maxLag = 0;
        long lastCompletion;

        long start = System.nanoTime();
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (int i = 0; i < schedule.length && fatal.get() == null; i++) {
                long intended = start + schedule[i];
                for (long wait = intended - System.nanoTime(); wait > 0; wait = intended - System.nanoTime()) {
                    LockSupport.parkNanos(wait);
                }
                maxLag = Math.max(maxLag, System.nanoTime() - intended);
                if (buckets != null) {
                    buckets.arrival(schedule[i]);
                }
                if (!slots.tryAcquire()) {
                    dropped.increment();
                    if (buckets != null) {
                        buckets.dropped(schedule[i]);
                    }
                    continue;
                }
                long sequence = i;
                long offset = schedule[i];
                executor.execute(() -> {
                    long begin = System.nanoTime();
                    boolean failed = false;
                    try {
                        request.run(sequence);
                    } catch (Exception e) {
                        failed = true;
                        errors.add(e);
                    } catch (Error e) {
                        fatal.compareAndSet(null, e);
                        return;
                    } finally {
                        slots.release();
                    }
                    long end = System.nanoTime();
                    latency.recordNanos(end - intended);
                    serviceTime.recordNanos(end - begin);
                    completed.increment();
                    if (buckets != null) {
                        buckets.completed(offset, !failed, end - intended);
                    }
                });
            }
        } finally {
            executor.shutdown();
            boolean drained = executor.awaitTermination(drainTimeout.toNanos(), TimeUnit.NANOSECONDS);
            lastCompletion = System.nanoTime();
            if (!drained) {
                executor.shutdownNow();
            }
        }
        if (fatal.get() != null) {
            throw fatal.get();
        }
        long finished = completed.sum();
        long unfinished = schedule.length - dropped.sum() - finished;
        Duration elapsed = Duration.ofNanos(lastCompletion - start);
        double seconds = elapsed.toNanos() / 1e9;
        return new OpenLoopResult(perSecond, (finished - errors.total()) / seconds, schedule.length, dropped.sum(), finished,
                errors.total(), errors.byType(), unfinished, elapsed, Duration.ofNanos(maxLag), latency.summary(), serviceTime.summary(),
                buckets == null ? List.of() : buckets.snapshot());
    }

    /** Per-bucket counts and latency, keyed by intended start time. */
    private static final class Buckets {

        private final long width;
        private final LongAdder[] arrivals;
        private final LongAdder[] successes;
        private final LongAdder[] errors;
        private final LongAdder[] dropped;
        private final ConcurrentHistogram[] latency;

        Buckets(Duration bucket, Duration duration) {
            width = bucket.toNanos();
            int count = (int) ((duration.toNanos() + width - 1) / width);
            arrivals = adders(count);
            successes = adders(count);
            errors = adders(count);
            dropped = adders(count);
            latency = new ConcurrentHistogram[count];
            for (int i = 0; i < count; i++) {
                latency[i] = new ConcurrentHistogram(TimeUnit.HOURS.toNanos(1), 2);
            }
        }

        private static LongAdder[] adders(int count) {
            LongAdder[] adders = new LongAdder[count];
            for (int i = 0; i < count; i++) {
                adders[i] = new LongAdder();
            }
            return adders;
        }

        void arrival(long offset) {
            arrivals[index(offset)].increment();
        }

        void dropped(long offset) {
            dropped[index(offset)].increment();
        }

        void completed(long offset, boolean success, long latencyNanos) {
            int i = index(offset);
            (success ? successes : errors)[i].increment();
            latency[i].recordValue(Math.min(Math.max(latencyNanos, 0), latency[i].getHighestTrackableValue()));
        }

        private int index(long offset) {
            return (int) Math.min(offset / width, arrivals.length - 1);
        }

        List<OpenLoopResult.Bucket> snapshot() {
            List<OpenLoopResult.Bucket> buckets = new ArrayList<>(arrivals.length);
            for (int i = 0; i < arrivals.length; i++) {
                buckets.add(new OpenLoopResult.Bucket(i * width / 1e9, arrivals[i].sum(), successes[i].sum(), errors[i].sum(),
                        dropped[i].sum(), LatencySummary.of(latency[i])));
            }
            return buckets;
        }
    }
}
