package dev.backendlabs.bench;

import dev.backendlabs.circuitbreaker.CallPath;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What does a resilience4j circuit breaker add to a call, and what does a rejection cost?
 *
 * <ul>
 *   <li>{@code direct} (baseline): the work alone.</li>
 *   <li>{@code closed}: the work through a CLOSED breaker configured as the circuit-breaker lab's {@code GuardSettings}
 *       configures it: a permission, two {@code System.nanoTime()} stamps, the outcome recorded in a count window of 20.</li>
 *   <li>{@code open}: a call rejected by an OPEN breaker: the open wait checked against the clock,
 *       {@code CallNotPermittedException} (without a stack trace) thrown and caught.</li>
 * </ul>
 *
 * <p>The work is resilience4j's own benchmark payload, {@code Blackhole.consumeCPU(100)}, so that the numbers read against
 * its published {@code resultsWithGCProfiling.txt} (a protected call about 0.32 µs slower than a direct one, 272 B
 * allocated per call, 2 threads, 2021, hardware unstated). One breaker per path is shared by all threads, as one
 * dependency's breaker is: at 4 and 16 threads they contend for its sliding window. {@code window} is the window's
 * synchronization: {@code SYNCHRONIZED} (a lock, the default) or {@code LOCK_FREE} (compare-and-swap on immutable
 * snapshots, since 2.3.0). The paths are the lab's {@code CallPath}, which its overhead experiment measures too.
 *
 * <p>Expect {@code closed} tens of nanoseconds above {@code direct} on one thread, more under contention, and {@code open}
 * above {@code closed}: in resilience4j 2.4.0 every rejection formats a message and allocates an event stamped with
 * {@code ZonedDateTime.now()}, even with no event consumer.
 *
 * <h2>How to run this test</h2>
 * <pre>
 * ./mvnw -pl benchmarks package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar CircuitBreakerBenchmark -t 1 -prof gc
 * java -jar benchmarks/target/benchmarks.jar CircuitBreakerBenchmark -t 4 -prof gc
 * java -jar benchmarks/target/benchmarks.jar CircuitBreakerBenchmark -t 16 -prof gc
 * </pre>
 * Allocation per call is {@code gc.alloc.rate.norm} (B/op).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CircuitBreakerBenchmark extends LabBenchmark {

    @Param({"SYNCHRONIZED", "LOCK_FREE"})
    public String window;

    private Supplier<Object> direct;
    private Supplier<Object> closed;
    private Supplier<Object> open;

    @Setup(Level.Trial)
    public void setUp() {
        CircuitBreakerConfig config = CallPath.labConfig(SlidingWindowSynchronizationStrategy.valueOf(window));
        Supplier<String> work = () -> {
            Blackhole.consumeCPU(100);
            return "quote";
        };
        direct = CallPath.DIRECT.of(config, work);
        closed = CallPath.CLOSED.of(config, work);
        open = CallPath.OPEN.of(config, work);
    }

    @Benchmark
    public Object direct() {
        return direct.get();
    }

    @Benchmark
    public Object closed() {
        return closed.get();
    }

    @Benchmark
    public Object open() {
        return open.get();
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(CircuitBreakerBenchmark.class.getSimpleName()).addProfiler(GCProfiler.class).build())
                .run();
    }
}
