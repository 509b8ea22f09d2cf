package dev.backendlabs.retry;

import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every backoff's range, its cap however many retries, its replay from a seed, and its refusal of bad settings. */
@Lab
class BackoffBoundsTest {

    private static final Duration BASE = Duration.ofMillis(100);
    private static final Duration CAP = Duration.ofSeconds(1);
    private static final int DRAWS = 10_000;

    @Test
    void fullJitterDrawsBetweenZeroAndTheCappedExponential() {
        FullJitterBackoff backoff = new FullJitterBackoff(BASE, CAP);
        SplittableRandom random = new SplittableRandom(1);

        for (int retry : new int[] {1, 2, 3, 4, 5, 63, 64, 1_000, Integer.MAX_VALUE}) {
            double ceiling = Math.min(1000, 100 * Math.pow(2, retry - 1));
            double[] waits = draws(backoff, retry, random);

            assertThat(min(waits)).as("retry %d", retry).isGreaterThanOrEqualTo(0).isLessThan(ceiling * 0.01);
            assertThat(max(waits)).as("retry %d", retry).isLessThan(ceiling).isGreaterThan(ceiling * 0.99);
        }
    }

    @Test
    void exponentialAndEqualJitterStayWithinTheirRanges() {
        ExponentialBackoff exponential = new ExponentialBackoff(BASE, CAP);
        EqualJitterBackoff equal = new EqualJitterBackoff(BASE, CAP);
        SplittableRandom random = new SplittableRandom(1);

        assertThat(IntStream.rangeClosed(1, 6).mapToDouble(retry -> exponential.delayMillis(retry, random)).toArray())
                .containsExactly(100, 200, 400, 800, 1000, 1000);
        assertThat(exponential.delayMillis(Integer.MAX_VALUE, random)).isEqualTo(1000);
        double[] waits = draws(equal, 3, random);
        assertThat(min(waits)).isGreaterThanOrEqualTo(200).isLessThan(202);
        assertThat(max(waits)).isLessThan(400).isGreaterThan(398);
        assertThat(new FixedBackoff(Duration.ZERO).delayMillis(7, random)).isZero();
    }

    @Test
    void decorrelatedJitterGrowsFromItsLastWaitUpToTheCap() {
        SplittableRandom random = new SplittableRandom(1);
        for (int client = 0; client < 1000; client++) {
            DecorrelatedJitter jitter = new DecorrelatedJitter(BASE, CAP);
            double previous = 100;
            for (int retry = 1; retry <= 20; retry++) {
                double wait = jitter.nextDelayMillis(random);
                assertThat(wait).isGreaterThanOrEqualTo(100).isLessThanOrEqualTo(Math.min(1000, previous * 3));
                previous = wait;
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameWaits() {
        FullJitterBackoff backoff = new FullJitterBackoff(BASE, CAP);

        assertThat(draws(backoff, 4, new SplittableRandom(9))).containsExactly(draws(backoff, 4, new SplittableRandom(9)));
    }

    @Test
    void badSettingsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> new FullJitterBackoff(Duration.ZERO, CAP)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("base must be a positive duration");
        assertThatThrownBy(() -> new FullJitterBackoff(BASE, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cap must be a positive duration");
        assertThatThrownBy(() -> new ExponentialBackoff(CAP, BASE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cap must be >= base");
        assertThatThrownBy(() -> new FixedBackoff(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("interval must be a duration >= 0");
        assertThatThrownBy(() -> new CapAfterJitterBackoff(100, 2, 1.5, 1000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("randomizationFactor");
        assertThatThrownBy(() -> new CapAfterJitterBackoff(0, 2, 0.5, 1000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(">= 1 ms");
        assertThatThrownBy(() -> new CapAfterJitterBackoff(100, Double.NaN, 0.5, 1000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiplier");
        assertThatThrownBy(() -> new FullJitterBackoff(BASE, CAP).delayMillis(0, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retry counts from 1");
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElseThrow();
    }

    private static double[] draws(Backoff backoff, int retry, SplittableRandom random) {
        return IntStream.range(0, DRAWS).mapToDouble(i -> backoff.delayMillis(retry, random)).toArray();
    }
}
