package dev.backendlabs.shared.load;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoadRunnerTest {

    @Test
    void runsExactlyTheRequestedOperationsWithUniqueSequenceNumbers() throws InterruptedException {
        Set<Long> sequences = ConcurrentHashMap.newKeySet();
        Set<Integer> workers = ConcurrentHashMap.newKeySet();

        LoadResult result = LoadRunner.workers(8).operations(10_000).run((worker, sequence) -> {
            sequences.add(sequence);
            workers.add(worker);
        });

        assertThat(result.operations()).isEqualTo(10_000);
        assertThat(sequences).hasSize(10_000).allMatch(s -> s >= 0 && s < 10_000);
        assertThat(workers).allMatch(w -> w >= 0 && w < 8);
        assertThat(result.errors()).isZero();
        assertThat(result.latency().count()).isEqualTo(10_000);
        assertThat(result.throughputPerSecond()).isPositive();
    }

    @Test
    void stopsAtTheDurationWhenThatComesFirst() throws InterruptedException {
        LoadResult result = LoadRunner.workers(4).virtualThreads(true).duration(Duration.ofMillis(300))
                .run((worker, sequence) -> Thread.sleep(5));

        assertThat(result.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(10));
        assertThat(result.operations()).isPositive().isLessThan(1_000);
        assertThat(result.latency().p50Ms()).isGreaterThanOrEqualTo(5.0);
    }

    @Test
    void minimumDurationKeepsGoingPastTheOperationCount() throws InterruptedException {
        // A no-op operation: even a starved machine runs far more than 10 of them in 200 ms, so only the bound is tested.
        LoadResult result = LoadRunner.workers(2).operations(10).minimumDuration(Duration.ofMillis(200))
                .run((worker, sequence) -> Thread.onSpinWait());

        assertThat(result.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(result.operations()).isGreaterThan(10);
    }

    @Test
    void countsErrorsByTypeAndKeepsGoing() throws InterruptedException {
        AtomicInteger calls = new AtomicInteger();
        LoadResult result = LoadRunner.workers(2).operations(100).run((worker, sequence) -> {
            calls.incrementAndGet();
            if (sequence % 4 == 0) {
                throw new IllegalStateException("every fourth fails");
            }
        });

        assertThat(calls).hasValue(100);
        assertThat(result.errors()).isEqualTo(25);
        assertThat(result.successes()).isEqualTo(75);
        assertThat(result.errorsByType()).containsEntry(IllegalStateException.class.getName(), 25L);
    }

    @Test
    void aFailedAssertionInsideAnOperationEndsTheRunAtOnceAndIsRethrownAsItIs() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> LoadRunner.workers(4).virtualThreads(true).duration(Duration.ofSeconds(60)).run((worker, sequence) -> {
            if (sequence == 20) {
                throw new AssertionError("the property under load broke at operation 20");
            }
            Thread.sleep(1);
        })).isInstanceOf(AssertionError.class).hasMessage("the property under load broke at operation 20");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time until the run gave up").isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void refusesAnUnboundedRunAndNonsenseBounds() {
        assertThatThrownBy(() -> LoadRunner.workers(1).run((w, s) -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Bound the run");
        assertThatThrownBy(() -> LoadRunner.workers(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoadRunner.workers(1).operations(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoadRunner.workers(1).duration(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoadRunner.workers(1).minimumDuration(Duration.ofSeconds(1)).run((w, s) -> { }))
                .isInstanceOf(IllegalStateException.class);
    }
}
