package dev.backendlabs.retry;

import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The budget's bound, exact under concurrency, and its behaviour when the dependency is down and when it is healthy. */
@Lab
class RetryBudgetTest {

    @Test
    void retriesNeverExceedTheBurstPlusTenPercentOfSuccessesUnderEightThreads() throws Exception {
        for (double failureRate : new double[] {0.02, 0.2, 0.5, 1.0}) {
            RetryBudget budget = new RetryBudget(10, 0.1);
            LongAdder successes = new LongAdder();

            // Each operation is a call that fails with the given probability (seeded per operation) and asks for a retry
            // when it does: eight threads race on the one bucket.
            LoadResult load = LoadRunner.workers(8).operations(400_000).run((worker, sequence) -> {
                if (new SplittableRandom(sequence).nextDouble() < failureRate) {
                    budget.tryAcquireRetry();
                } else {
                    budget.onSuccess();
                    successes.increment();
                }
            });

            long granted = budget.retriesGranted();
            assertThat(load.errors()).isZero();
            assertThat(granted * 10).as("failure rate %s: %d retries, %d successes", failureRate, granted, successes.sum())
                    .isLessThanOrEqualTo(100 + successes.sum());
            assertThat(granted + budget.retriesDenied()).isEqualTo(400_000 - successes.sum());
        }
    }

    @Test
    void aDryBucketRefusesEveryRetryUntilSuccessesRefillIt() {
        RetryBudget budget = new RetryBudget(10, 0.1);

        for (int i = 0; i < 10; i++) {
            assertThat(budget.tryAcquireRetry()).as("retry %d of the initial burst", i + 1).isTrue();
        }
        assertThat(budget.tryAcquireRetry()).isFalse();
        for (int i = 0; i < 9; i++) {
            budget.onSuccess();
        }
        assertThat(budget.tryAcquireRetry()).as("0.9 tokens").isFalse();
        budget.onSuccess();
        assertThat(budget.tryAcquireRetry()).as("ten successes pay for one retry").isTrue();
        assertThat(budget.retriesGranted()).isEqualTo(11);
        assertThat(budget.retriesDenied()).isEqualTo(2);
    }

    @Test
    void aHealthyStretchBanksNoMoreThanMaxTokens() {
        RetryBudget budget = new RetryBudget(10, 0.1);
        for (int i = 0; i < 10_000; i++) {
            budget.onSuccess();
        }

        assertThat(budget.tokens()).isEqualTo(10);
    }

    @Test
    void badSettingsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> new RetryBudget(0, 0.1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> new RetryBudget(10, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokenRatio");
        assertThatThrownBy(() -> new RetryBudget(10, 1.5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokenRatio");
        assertThatThrownBy(() -> new RetryBudget(10, Double.NaN)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tokenRatio");
    }
}
