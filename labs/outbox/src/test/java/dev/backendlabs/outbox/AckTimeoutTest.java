package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Lab;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A relay pass is bounded by its ack timeout, not by the producer's delivery timeout (two minutes
 * here), so a broker in trouble cannot keep the pass's transaction and row locks open. Against a
 * stopped broker the sends find no metadata and the pass fails after {@code max.block.ms}; against
 * a broker that takes the records but does not acknowledge them in time (a produce quota of 1 byte/s
 * holds the client back for seconds after a batch) the pass gives up at the ack timeout and replaces
 * its producer. Either way the rows stay in the outbox and are published later.
 */
@Lab
class AckTimeoutTest {

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(2);
    /**
     * After the deadline a pass only closes its producer without waiting and rolls back: it ended
     * 6–15 ms after the ack timeout in our runs (against the stopped broker, 1.0 s or 2.0 s: a send
     * without metadata fails after max.block.ms = 1 s). The rest covers a loaded machine.
     */
    private static final Duration SLACK = Duration.ofSeconds(1);

    @Test
    void aPassAgainstAStoppedBrokerFailsWithinItsAckTimeoutAndLeavesItsRows(KafkaBackend kafka) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OutboxFixture.writeSequencedEvents(1_000);
        List<KafkaProducer<String, String>> producers = new CopyOnWriteArrayList<>();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (OutboxRelay relay = relay(kafka, topic, patientProducer(kafka, "outbox-relay-stopped"), producers)) {
            assertThat(relay.publishBatch()).as("a first batch while the broker is up").isPositive();
            long rows = OutboxFixture.count("SELECT count(*) FROM outbox");
            kafka.stop();
            try {
                failsWithinTheAckTimeout(executor, relay);
            } finally {
                kafka.start();
            }
            assertThat(OutboxFixture.count("SELECT count(*) FROM outbox")).as("rows left in the outbox").isEqualTo(rows);

            OutboxFixture.runUntilEmpty(List.of(relay));
            assertThat(relay.published()).isEqualTo(1_000);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void aPassWhoseAcksDoNotComeGivesUpAtItsAckTimeoutAndReplacesItsProducer(KafkaBackend kafka) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OutboxFixture.writeSequencedEvents(4_000);
        String clientId = "outbox-relay-throttled";
        List<KafkaProducer<String, String>> producers = new CopyOnWriteArrayList<>();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (Admin admin = Admin.create(kafka.adminProperties());
             OutboxRelay relay = relay(kafka, topic, patientProducer(kafka, clientId), producers)) {
            produceQuota(admin, clientId, 1.0);
            Duration took;
            long rows;
            try {
                // Batches go through until the broker answers one with a throttle time; from then on the client holds its sends back.
                assertThat(OutboxFixture.eventually(Duration.ofSeconds(20), Duration.ofMillis(50),
                        () -> relay.publishBatch() >= 0 && throttleTimeMax(producers.getLast()) > 0))
                        .as("the broker throttles the relay's producer").isTrue();
                rows = OutboxFixture.count("SELECT count(*) FROM outbox");
                took = failsWithinTheAckTimeout(executor, relay);
            } finally {
                produceQuota(admin, clientId, null);
            }
            assertThat(took).as("the pass waited for its acks until the ack timeout").isGreaterThanOrEqualTo(ACK_TIMEOUT);
            assertThat(OutboxFixture.count("SELECT count(*) FROM outbox")).as("rows left in the outbox").isEqualTo(rows);

            OutboxFixture.runUntilEmpty(List.of(relay));
            assertThat(producers).as("a fresh producer replaced the one whose acks did not come").hasSize(2);
            assertThat(relay.published()).isEqualTo(4_000);
        } finally {
            executor.shutdownNow();
        }
    }

    /** Runs one pass on {@code executor}; it must fail with a {@link RelayException} within the ack timeout + slack. */
    private static Duration failsWithinTheAckTimeout(ExecutorService executor, OutboxRelay relay) {
        long began = System.nanoTime();
        Future<Integer> pass = executor.submit(relay::publishBatch);
        assertThatThrownBy(() -> pass.get(ACK_TIMEOUT.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS))
                .as("the pass failed within the ack timeout + %s", SLACK)
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RelayException.class);
        return Duration.ofNanos(System.nanoTime() - began);
    }

    /** A producer that would keep a batch pending for two minutes: only the relay's ack timeout bounds the pass. */
    private static Properties patientProducer(KafkaBackend kafka, String clientId) {
        Properties properties = OutboxFixture.producerProperties(kafka);
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        properties.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return properties;
    }

    /** A relay whose every producer is recorded in {@code made}. */
    private static OutboxRelay relay(KafkaBackend kafka, String topic, Properties producer, List<KafkaProducer<String, String>> made)
            throws Exception {
        return OutboxFixture.relay(kafka, topic).ackTimeout(ACK_TIMEOUT).producers(() -> {
            KafkaProducer<String, String> fresh = new KafkaProducer<>(producer);
            made.add(fresh);
            return fresh;
        }).build();
    }

    /** Sets (or with {@code null} removes) a produce quota in bytes per second for one client id. */
    private static void produceQuota(Admin admin, String clientId, Double bytesPerSecond) throws Exception {
        ClientQuotaEntity client = new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, clientId));
        ClientQuotaAlteration.Op rate = new ClientQuotaAlteration.Op("producer_byte_rate", bytesPerSecond);
        admin.alterClientQuotas(List.of(new ClientQuotaAlteration(client, List.of(rate)))).all().get(30, TimeUnit.SECONDS);
    }

    private static double throttleTimeMax(KafkaProducer<String, String> producer) {
        return producer.metrics().entrySet().stream()
                .filter(metric -> metric.getKey().name().equals("produce-throttle-time-max"))
                .mapToDouble(metric -> (Double) metric.getValue().metricValue()).filter(Double::isFinite).max().orElse(0);
    }
}
