package dev.backendlabs.bench;

import dev.backendlabs.retry.CallPolicy;
import dev.backendlabs.retry.RetryPolicy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * What does a retry policy cost a call that succeeds — the call a healthy service makes millions of times for each one
 * that fails?
 *
 * <ul>
 *   <li>{@code direct} (baseline): the attempt itself, a method that returns a number.</li>
 *   <li>{@code call} with {@code policy=RETRY}: the lab's {@code RetryPolicy}, that is resilience4j's {@code Retry}
 *       (4 attempts, full jitter) around the attempt.</li>
 *   <li>{@code policy=RETRY_BUDGET}: the same within a {@code RetryBudget}: on success, one read of the full bucket.</li>
 *   <li>{@code policy=RETRY_BREAKER} and {@code RETRY_BUDGET_BREAKER}: either behind resilience4j's
 *       {@code CircuitBreaker}, which records every call in its sliding window.</li>
 * </ul>
 *
 * <p>The variants are the lab's {@code CallPolicy}, the policies its {@code TransientFailureTest} compares under failures.
 * Nothing here fails, so no retry, wait or token is ever spent: this is the price of carrying the policy, to be read
 * against the round trip it wraps (tens of microseconds on loopback, see {@code RoundTripBenchmark}). Expect tens to
 * hundreds of nanoseconds, the breaker the largest share of it.
 *
 * <h2>How to run this test</h2>
 * <pre>
 * ./mvnw -pl benchmarks package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar RetryPolicyBenchmark -t 1
 * java -jar benchmarks/target/benchmarks.jar RetryPolicyBenchmark -t 2
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RetryPolicyBenchmark extends LabBenchmark {

    /** The attempt: cheap, one per thread (no shared counter to fight over), its result returned so the JIT cannot drop it. */
    @State(Scope.Thread)
    public static class Attempt implements Callable<Integer> {

        private int calls;

        @Override
        public Integer call() {
            return ++calls & 0xff;
        }
    }

    /** One policy per trial, shared by the benchmark's threads as a service shares one per dependency. */
    @State(Scope.Benchmark)
    public static class Policy {

        @Param({"RETRY", "RETRY_BUDGET", "RETRY_BREAKER", "RETRY_BUDGET_BREAKER"})
        public CallPolicy policy;

        RetryPolicy retryPolicy;

        @Setup(Level.Trial)
        public void build() {
            retryPolicy = policy.newPolicy("bench", new Random(1));
        }
    }

    @Benchmark
    public Integer direct(Attempt attempt) {
        return attempt.call();
    }

    @Benchmark
    public Integer call(Policy policy, Attempt attempt) throws Exception {
        return policy.retryPolicy.call(attempt);
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(RetryPolicyBenchmark.class.getSimpleName()).build()).run();
    }
}
