package dev.backendlabs.shared.load;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpenLoopRunnerTest {

    @Test
    void constantSpacingSchedulesRateTimesDurationArrivalsEvenlyApart() {
        long[] schedule = LoadRunner.atRate(200).duration(Duration.ofSeconds(2)).schedule();

        assertThat(schedule).hasSize(400);
        assertThat(schedule[1] - schedule[0]).isEqualTo(5_000_000);
        assertThat(schedule[399]).isLessThan(2_000_000_000L);
    }

    @Test
    void poissonSpacingIsSeededAndKeepsTheMeanRate() {
        long[] first = LoadRunner.atRate(1_000).duration(Duration.ofSeconds(10)).poisson(7).schedule();
        long[] again = LoadRunner.atRate(1_000).duration(Duration.ofSeconds(10)).poisson(7).schedule();

        assertThat(first).isEqualTo(again);
        // 10,000 expected arrivals; a Poisson count has sd 100, so +-400 is four standard deviations.
        assertThat(first.length).isBetween(9_600, 10_400);
        assertThat(first).isSorted();
    }

    @Test
    void runsEveryArrivalAndTimesItFromItsIntendedStart() throws InterruptedException {
        Set<Long> sequences = ConcurrentHashMap.newKeySet();

        OpenLoopResult result = LoadRunner.atRate(200).duration(Duration.ofMillis(500)).timeline(Duration.ofMillis(100))
                .run(sequence -> {
                    sequences.add(sequence);
                    Thread.sleep(20);
                });

        assertThat(result.scheduled()).isEqualTo(100);
        assertThat(result.completed()).isEqualTo(100);
        assertThat(sequences).hasSize(100);
        assertThat(result.latency().p50Ms()).isGreaterThanOrEqualTo(20);
        assertThat(result.serviceTime().p50Ms()).isGreaterThanOrEqualTo(20);
        assertThat(result.timeline()).hasSize(5).allSatisfy(bucket -> {
            assertThat(bucket.arrivals()).isEqualTo(20);
            assertThat(bucket.successPercent()).isEqualTo(100);
        });
        assertThat(result.successPercent()).isEqualTo(100);
    }

    @Test
    void arrivalsBeyondTheConcurrencyCapAreDroppedAndCounted() throws InterruptedException {
        OpenLoopResult result = LoadRunner.atRate(200).duration(Duration.ofMillis(500)).maxConcurrency(5)
                .run(sequence -> Thread.sleep(200));

        // Five slots held 200 ms each at an arrival every 5 ms: at most 5 starts per 200 ms, so at least 85 of 100 are dropped.
        assertThat(result.dropped()).isGreaterThanOrEqualTo(85);
        assertThat(result.completed() + result.dropped()).isEqualTo(result.scheduled());
    }

    @Test
    void errorsAreCountedByClassAndTheRunGoesOn() throws InterruptedException {
        OpenLoopResult result = LoadRunner.atRate(1_000).duration(Duration.ofMillis(100)).run(sequence -> {
            if (sequence % 4 == 0) {
                throw new IllegalStateException("every fourth fails");
            }
        });

        assertThat(result.errors()).isEqualTo(25);
        assertThat(result.successes()).isEqualTo(75);
        assertThat(result.errorsByType()).containsEntry(IllegalStateException.class.getName(), 25L);
    }

    @Test
    void aFailedAssertionEndsTheRunAndIsRethrown() {
        assertThatThrownBy(() -> LoadRunner.atRate(100).duration(Duration.ofSeconds(30)).run(sequence -> {
            if (sequence == 3) {
                throw new AssertionError("broken at 3");
            }
        })).isInstanceOf(AssertionError.class).hasMessage("broken at 3");
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> LoadRunner.atRate(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoadRunner.atRate(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoadRunner.atRate(10).maxConcurrency(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoadRunner.atRate(10).timeline(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoadRunner.atRate(10).run(sequence -> { })).isInstanceOf(IllegalStateException.class);
    }
}
