package dev.backendlabs.bench;

import dev.backendlabs.outbox.OutboxEvent;
import dev.backendlabs.outbox.OutboxSchema;
import dev.backendlabs.outbox.OutboxWriter;
import dev.backendlabs.outbox.RelayVariant;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.PostgresBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How long from a burst of events committed to the outbox until the relay has published all of
 * them, for each of the outbox lab's relays?
 *
 * <p>Each invocation writes {@value #EVENTS} events (100 aggregates, 10 events each) in one
 * transaction with the variant's writer, then waits until the running relay has had all of them
 * acknowledged by Kafka ({@code acks=all}, idempotent producer, {@code linger.ms=0}; fsync on).
 * The score is the time per event of both together — the write is the same for every variant but
 * NOTIFY's, which adds one {@code NOTIFY} statement per event.
 *
 * <ul>
 *   <li>{@code POLLING}: the partition-owning relay at batch 100, polling every 20 ms when idle —
 *       the baseline; a burst waits for the next poll, up to 20 ms.</li>
 *   <li>{@code POLLING_NOTIFY}: the same relay woken by the commit's notification (1 s fallback poll).</li>
 *   <li>{@code CDC}: Debezium's embedded engine reading the inserts from the WAL (5 ms connector
 *       poll), publishing through the same producer code.</li>
 * </ul>
 *
 * <p>The variants are the lab's {@link RelayVariant}s, set up as its side-by-side experiment sets
 * them up. PostgreSQL and the Kafka broker run embedded in the benchmark's own fork (an in-JVM
 * broker shares the two cores with the relay), so compare the variants with each other, not with a
 * broker on its own machine. The relay's capacity by batch size is the lab's throughput
 * experiment.
 *
 * <h2>How to run this test</h2>
 * <pre>
 * ./mvnw -pl benchmarks package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar OutboxRelayBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@OperationsPerInvocation(OutboxRelayBenchmark.EVENTS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
public class OutboxRelayBenchmark extends LabBenchmark {

    static final int EVENTS = 1_000;
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

    @Param({"POLLING", "POLLING_NOTIFY", "CDC"})
    public RelayVariant variant;

    private DataSource dataSource;
    private OutboxWriter writer;
    private RelayVariant.Relay relay;

    @Setup(Level.Trial)
    public void start() throws SQLException {
        KafkaBackend kafka = Backends.kafka();
        PostgresBackend postgres = Backends.postgres();
        LabNamespace namespace = new LabNamespace("outbox");
        dataSource = postgres.pool(namespace);
        try (Connection connection = dataSource.getConnection()) {
            OutboxSchema.create(connection);
            OutboxSchema.truncate(connection);
        }
        String topic = namespace.topic("bench-" + variant.name().toLowerCase());
        kafka.createTopic(topic, 8);
        writer = variant.writer(new OutboxWriter(16 * 1024, 16));
        relay = variant.create(postgres, namespace, kafka, writer, topic);
        relay.start();
    }

    @Override
    protected void close() throws SQLException {
        relay.close();
    }

    @Benchmark
    public long writeBurstAndAwaitPublished() throws SQLException {
        long target = relay.published() + EVENTS;
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            for (int i = 0; i < EVENTS; i++) {
                writer.append(connection, OutboxEvent.of("account", "acct-" + i % 100, "Deposited", "{\"seq\": " + (i / 100 + 1) + "}"));
            }
            connection.commit();
        }
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (relay.published() < target) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(variant + " published " + (relay.published() - target + EVENTS) + " of " + EVENTS);
            }
            LockSupport.parkNanos(100_000); // leave the cores to the relay
        }
        return relay.published();
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(OutboxRelayBenchmark.class.getSimpleName()).build()).run();
    }
}
