package dev.backendlabs.bench;

import dev.backendlabs.outbox.OutboxEvent;
import dev.backendlabs.outbox.OutboxRelay;
import dev.backendlabs.outbox.OutboxSchema;
import dev.backendlabs.outbox.OutboxWriter;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.backend.LabNamespace;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
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
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * How many events per second does one relay move from the outbox to Kafka, by batch size?
 *
 * <p>Each invocation drains {@value #EVENTS} events that the setup wrote beforehand, so the
 * relay's capacity is measured, not the writer's or a polling cadence. A batch is one transaction:
 * claim with {@code FOR UPDATE NOWAIT} under a partition's advisory lock, send every event
 * asynchronously ({@code acks=all}, idempotent producer, {@code linger.ms=0}), wait for every ack
 * against one deadline, delete, commit (fsync on).
 *
 * <ul>
 *   <li>{@code batchSize=1}: one commit and one broker round trip per event — the baseline.</li>
 *   <li>{@code batchSize=10, 100, 500}: the same work amortized over more events per round trip.</li>
 * </ul>
 *
 * <p>PostgreSQL and the Kafka broker run embedded in the benchmark's own fork (an in-JVM broker
 * shares the two cores with the relay), so compare batch sizes with each other, not with a broker
 * on its own machine. Expect a large step from 1 to 10, another to 100, then a plateau.
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

    @Param({"1", "10", "100", "500"})
    public int batchSize;

    private DataSource dataSource;
    private OutboxWriter writer;
    private OutboxRelay relay;

    @Setup(Level.Trial)
    public void start() throws SQLException {
        KafkaBackend kafka = Backends.kafka();
        LabNamespace namespace = new LabNamespace("outbox");
        dataSource = Backends.postgres().pool(namespace);
        try (Connection connection = dataSource.getConnection()) {
            OutboxSchema.create(connection);
            OutboxSchema.truncate(connection);
        }
        String topic = namespace.topic("bench-" + batchSize);
        kafka.createTopic(topic, 8);
        Properties producer = kafka.producerProperties();
        producer.put(ProducerConfig.LINGER_MS_CONFIG, 0); // the relay sends a batch and waits for it: lingering only delays the acks
        writer = new OutboxWriter(16 * 1024, 16);
        relay = OutboxRelay.builder(dataSource, writer).producers(() -> new KafkaProducer<String, String>(producer)).topic(topic)
                .batchSize(batchSize).ackTimeout(Duration.ofSeconds(30)).build();
    }

    /** Fills the outbox with the events the next invocation drains: 100 aggregates, 10 events each. */
    @Setup(Level.Invocation)
    public void fill() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            for (int i = 0; i < EVENTS; i++) {
                writer.append(connection, OutboxEvent.of("account", "acct-" + i % 100, "Deposited", "{\"seq\": " + (i / 100 + 1) + "}"));
            }
            connection.commit();
        }
    }

    @Override
    protected void close() {
        relay.close();
    }

    @Benchmark
    public int drainOutbox() throws SQLException, InterruptedException {
        int published = 0;
        int batch;
        while ((batch = relay.publishBatch()) > 0) {
            published += batch;
        }
        if (published != EVENTS) {
            throw new IllegalStateException("Published " + published + " of " + EVENTS);
        }
        return published;
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(OutboxRelayBenchmark.class.getSimpleName()).build()).run();
    }
}
