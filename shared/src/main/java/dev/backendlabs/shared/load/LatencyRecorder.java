package dev.backendlabs.shared.load;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.util.concurrent.TimeUnit;

/**
 * Records latencies into an HdrHistogram (nanosecond values, three significant digits, up to
 * one hour), safely from many threads at once. Percentiles come from HdrHistogram, never from
 * sorting samples by hand.
 */
public final class LatencyRecorder {

    private static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.HOURS.toNanos(1);

    private final ConcurrentHistogram histogram = new ConcurrentHistogram(HIGHEST_TRACKABLE_NANOS, 3);

    /** Records one latency; negative values (clock went backwards) count as zero. */
    public void recordNanos(long nanos) {
        histogram.recordValue(Math.min(Math.max(nanos, 0), HIGHEST_TRACKABLE_NANOS));
    }

    /** Records the time since {@code startNanos}, a value of {@link System#nanoTime()}. */
    public void recordSince(long startNanos) {
        recordNanos(System.nanoTime() - startNanos);
    }

    /** Percentiles of a copy, so that it can be read while other threads still record. */
    public LatencySummary summary() {
        return LatencySummary.of(histogram.copy());
    }

    /** A copy of the recorded values, e.g. to merge recorders or print a percentile distribution. */
    public Histogram histogram() {
        return histogram.copy();
    }

    public void reset() {
        histogram.reset();
    }
}
