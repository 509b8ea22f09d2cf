package dev.backendlabs.shared.http;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How long a {@link Downstream} holds a worker for one request: its service time. Real services
 * are not fixed-latency; most of their requests are fast and a few are many times slower, which is
 * what {@link #logNormal(Duration, Duration)} models from the two numbers a dashboard shows
 * (median and p99). {@link #fixed(Duration)} and {@link #uniform(Duration, Duration)} are for
 * scenarios whose arithmetic must stay obvious.
 *
 * <p>Samples come from the random generator the caller passes, so a seeded {@link Downstream}
 * draws the same service times in every run.
 */
public sealed interface Latency {

    /** No service time: the handler answers as soon as it has a worker. */
    static Latency none() {
        return fixed(Duration.ZERO);
    }

    static Latency fixed(Duration value) {
        return new Fixed(value);
    }

    /** Uniform between {@code min} and {@code max}, both included. */
    static Latency uniform(Duration min, Duration max) {
        return new Uniform(min, max);
    }

    /** Log-normal with the given median and 99th percentile. */
    static Latency logNormal(Duration median, Duration p99) {
        return new LogNormal(median, p99);
    }

    /** One service time, in nanoseconds. */
    long sampleNanos(RandomGenerator random);

    /** Always the same service time. */
    record Fixed(Duration value) implements Latency {

        public Fixed {
            requireNonNegative("latency", value);
        }

        @Override
        public long sampleNanos(RandomGenerator random) {
            return value.toNanos();
        }
    }

    /** Every service time between {@code min} and {@code max} equally likely. */
    record Uniform(Duration min, Duration max) implements Latency {

        public Uniform {
            requireNonNegative("min", min);
            requireNonNegative("max", max);
            if (max.compareTo(min) < 0) {
                throw new IllegalArgumentException("max must be >= min, got min " + min + " and max " + max);
            }
        }

        @Override
        public long sampleNanos(RandomGenerator random) {
            return random.nextLong(min.toNanos(), max.toNanos() + 1);
        }
    }

    /**
     * {@code median * exp(sigma * Z)} with Z standard normal: the median is {@code exp(mu)} and
     * the 99th percentile {@code exp(mu + 2.326 * sigma)}, so sigma follows from the ratio of the two.
     */
    record LogNormal(Duration median, Duration p99) implements Latency {

        /** The 99th percentile of the standard normal distribution. */
        private static final double Z_99 = 2.3263478740408408;

        public LogNormal {
            Objects.requireNonNull(median, "median");
            Objects.requireNonNull(p99, "p99");
            if (median.isNegative() || median.isZero()) {
                throw new IllegalArgumentException("median must be positive, got " + median);
            }
            if (p99.compareTo(median) < 0) {
                throw new IllegalArgumentException("p99 must be >= median, got median " + median + " and p99 " + p99);
            }
        }

        @Override
        public long sampleNanos(RandomGenerator random) {
            double medianNanos = median.toNanos();
            double sigma = Math.log(p99.toNanos() / medianNanos) / Z_99;
            return Math.round(medianNanos * Math.exp(sigma * random.nextGaussian()));
        }
    }

    private static void requireNonNegative(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
    }
}
