package dev.backendlabs.shared.backend;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.utils.Time;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A single-node Kafka broker in this JVM, in KRaft combined mode (broker and controller in one
 * process), built from Kafka's own artifacts.
 *
 * <p>Why not spring-kafka-test's {@code EmbeddedKafkaKraftBroker}: it cannot keep its port across
 * a restart, and the outbox lab needs clients that lose the broker and find it again at the same
 * address. Why the storage tool: KRaft refuses to start on an unformatted log directory, and
 * {@code StorageTool.execute} is the same code path as {@code kafka-storage.sh format}, a public
 * command whose arguments are stable across 4.x releases.
 *
 * <p>Single-node settings: the offsets, transaction-state and share-state topics use replication
 * factor 1 and min ISR 1, so consumer groups and idempotent or transactional producers work.
 */
final class EmbeddedKafkaBroker implements FaultControl {

    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(30);

    private final Path logDir;
    private final int brokerPort;
    private final Properties config;
    private KafkaRaftServer server;

    private EmbeddedKafkaBroker(Path logDir, int brokerPort, int controllerPort) {
        this.logDir = logDir;
        this.brokerPort = brokerPort;
        this.config = brokerConfig(logDir, brokerPort, controllerPort);
    }

    /** Formats a fresh log directory and starts a broker on newly picked ports; nothing is left behind if that fails. */
    static EmbeddedKafkaBroker launch() {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(TempDirectories.create("labs-kafka-"), FreePorts.pick(), FreePorts.pick());
        try {
            broker.format();
            broker.start();
            return broker;
        } catch (IOException e) {
            broker.destroy();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            broker.destroy();
            throw e;
        }
    }

    private static Properties brokerConfig(Path logDir, int brokerPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // Two cores: keep the broker's thread pools small so it leaves room for the lab.
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("background.threads", "2");
        return p;
    }

    private void format() throws IOException {
        Path file = logDir.resolveSibling(logDir.getFileName() + ".properties");
        try (OutputStream out = Files.newOutputStream(file)) {
            config.store(out, "embedded broker for Backend Labs");
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exit;
        try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            exit = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c", file.toString()}, print);
        }
        if (exit != 0) {
            throw new IllegalStateException("kafka-storage format failed (exit " + exit + "): " + output.toString(StandardCharsets.UTF_8));
        }
    }

    String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    String version() {
        return AppInfoParser.getVersion();
    }

    /**
     * Starts the broker on its fixed ports with its existing log directory. A port can stay busy
     * for a moment after {@link #stop()}, so binding is retried until {@link #RESTART_TIMEOUT}.
     */
    @Override
    public synchronized void start() {
        if (server != null) {
            return;
        }
        server = Restarts.retry("Kafka broker on port " + brokerPort, RESTART_TIMEOUT, () -> {
            KafkaRaftServer candidate = new KafkaRaftServer(KafkaConfig.fromProps(config), Time.SYSTEM);
            try {
                candidate.startup();
                return candidate;
            } catch (RuntimeException e) {
                candidate.shutdown();
                candidate.awaitShutdown();
                throw e;
            }
        });
        awaitBrokerReady();
    }

    /** The broker answers metadata requests once its controller has elected itself and registered the broker. */
    private void awaitBrokerReady() {
        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        try (Admin client = Admin.create(admin)) {
            Restarts.retry("Kafka broker at " + bootstrapServers(), RESTART_TIMEOUT, () -> {
                if (client.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                    throw new IllegalStateException("the broker has not registered yet");
                }
                return null;
            });
        }
    }

    @Override
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
    }

    @Override
    public synchronized boolean running() {
        return server != null;
    }

    /** Stops the broker and deletes its data; the end of the run. */
    void destroy() {
        try {
            stop();
        } finally {
            TempDirectories.delete(logDir);
            TempDirectories.delete(logDir.resolveSibling(logDir.getFileName() + ".properties"));
        }
    }
}
