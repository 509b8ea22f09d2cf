package dev.backendlabs.bench;

import dev.backendlabs.shared.backend.Backends;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * What every benchmark of the labs shares: one fork, 3 warm-up and 5 measured iterations of 2 s
 * (a benchmark overrides any of them with its own annotation, as JMH applies the nearest one),
 * benchmark-wide state, and the end of the servers.
 *
 * <p>Why the servers are stopped here: a forked JVM waits for the in-JVM Kafka broker's threads
 * and would never exit. A subclass releases its own clients in {@link #close()}, which runs first,
 * while the servers are still up. In an unforked run (the CI smoke run) the JVM ends with
 * {@code System.exit} and the servers stay up for the next benchmark.
 */
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public abstract class LabBenchmark {

    /** Set by {@link SmokeRun}: every benchmark once, with small data, to prove it still runs. */
    static final String SMOKE_PROPERTY = "labs.bench.smoke";

    /** {@code full} for a real run, {@code smoke} in CI's smoke run: data sizes that only prove the benchmark runs. */
    protected static int sized(int full, int smoke) {
        return Boolean.getBoolean(SMOKE_PROPERTY) ? smoke : full;
    }

    /** Releases the benchmark's own clients (pools, producers); the servers are still running. */
    protected void close() throws Exception {
    }

    @TearDown(Level.Trial)
    public final void tearDownTrial(BenchmarkParams params) throws Exception {
        close();
        if (params.getForks() > 0) {
            Backends.stopAll();
        }
    }
}
