package dev.backendlabs.retry;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * The retry policies the lab compares on one call, shared by {@code TransientFailureTest} and the JMH
 * {@code RetryPolicyBenchmark}, so that both measure the same things: no retries, resilience4j's Retry alone (4
 * attempts, full jitter), the same within a {@link RetryBudget}, and either of them behind a circuit breaker.
 */
public enum CallPolicy {
    NO_RETRY("no retries", false, false, false),
    RETRY("retry, 4 attempts", true, false, false),
    RETRY_BUDGET("retry within a budget", true, true, false),
    RETRY_BREAKER("retry behind a breaker", true, false, true),
    RETRY_BUDGET_BREAKER("retry within a budget, behind a breaker", true, true, true);

    private static final Duration BASE = Duration.ofMillis(10);
    private static final Duration CAP = Duration.ofMillis(100);

    private final String label;
    private final boolean retries;
    private final boolean budget;
    private final boolean breaker;

    CallPolicy(String label, boolean retries, boolean budget, boolean breaker) {
        this.label = label;
        this.retries = retries;
        this.budget = budget;
        this.breaker = breaker;
    }

    public String label() {
        return label;
    }

    /**
     * A new policy of this kind: up to 4 attempts with full jitter (10 ms, capped at 100 ms), a budget of 10 tokens and
     * 0.1 per success, resilience4j's default breaker (50 % failures over the last 100 calls).
     */
    public RetryPolicy newPolicy(String name, RandomGenerator random) {
        RetryPolicy.Builder policy = RetryPolicy.builder(name).maxAttempts(retries ? 4 : 1)
                .backoff(new FullJitterBackoff(BASE, CAP), random);
        if (budget) {
            policy.allowance(new RetryBudget(10, 0.1));
        }
        if (breaker) {
            policy.circuitBreaker(CircuitBreaker.of(name, CircuitBreakerConfig.ofDefaults()));
        }
        return policy.build();
    }
}
