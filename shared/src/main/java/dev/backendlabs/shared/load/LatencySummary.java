package dev.backendlabs.shared.load;

import org.HdrHistogram.AbstractHistogram;

/** Percentiles of a latency histogram, in milliseconds. */
public record LatencySummary(long count, double meanMs, double p50Ms, double p90Ms, double p99Ms, double p999Ms, double maxMs) {

    private static final double NANOS_PER_MS = 1_000_000.0;

    public static LatencySummary of(AbstractHistogram histogram) {
        if (histogram.getTotalCount() == 0) {
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
        }
        return new LatencySummary(histogram.getTotalCount(),
                histogram.getMean() / NANOS_PER_MS,
                histogram.getValueAtPercentile(50) / NANOS_PER_MS,
                histogram.getValueAtPercentile(90) / NANOS_PER_MS,
                histogram.getValueAtPercentile(99) / NANOS_PER_MS,
                histogram.getValueAtPercentile(99.9) / NANOS_PER_MS,
                histogram.getMaxValue() / NANOS_PER_MS);
    }
}
