package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.ChartSpec;
import dev.backendlabs.shared.report.LabReport;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker goes away. A steady stream of orders while the broker is stopped for 10 s: orders
 * keep committing (the write path does not touch Kafka), the events wait — in the outbox table
 * for the polling relay, in the replication slot's WAL for the CDC relay — the relay backs off,
 * and after the restart the backlog drains and every committed order has exactly one effect at
 * the consumer. The same schedule for both relays.
 */
@Lab
class BrokerOutageTest {

    private static final Duration BEFORE = Duration.ofSeconds(2);
    private static final Duration OUTAGE = Duration.ofSeconds(10);
    private static final Duration AFTER = Duration.ofSeconds(3);
    /**
     * A pass against the stopped broker fails after 1–2 s instead of 5 s, so the relay finds the
     * restarted broker sooner. Its producer drops what it could not deliver in 1.5 s: see
     * {@link OutboxFixture#impatientProducerProperties}.
     */
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(2);
    /** The drain after the restart took 2–3 s in our runs (4,000–5,500 events at 1,500–1,900 /s); 60 s is generous. */
    private static final Duration DRAIN = Duration.ofSeconds(60);
    private static final String CHART = "backlog-across-outage.png";

    @Test
    void backlogGrowsDuringAnOutageAndDrainsWithNothingLostOrDoubled(KafkaBackend kafka, LabReport report) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        try (RelayRunner relay = new RelayRunner(OutboxFixture.relay(kafka, topic).ackTimeout(ACK_TIMEOUT)
                .producers(() -> OutboxFixture.impatientProducer(kafka)).build(), "relay", Duration.ofMillis(20), Duration.ofSeconds(1))) {
            Outcome outcome = outage(kafka, topic, "outage", placed -> OutboxBacklog.of(OutboxFixture.dataSource()).events());

            report.metric("outbox_lost_events", outcome.lost(), "events",
                    "Committed orders without an effect at the consumer after a " + OUTAGE.toSeconds() + " s broker outage ("
                            + outcome.placed() + " orders).");
            report.metric("outbox_duplicate_effects", outcome.duplicateEffects(), "effects",
                    "Effects applied twice for one event in the same run.");
            report.metric("outage_peak_backlog", outcome.peak(), "events", "Largest outbox backlog sampled during the outage.");
            report.metric("outage_drain_events_per_s", outcome.drainRate(), "events/s",
                    "How fast the relay emptied the backlog after the restart (peak backlog / time from the peak to the first empty"
                            + " sample).");
            chart(report).series("polling relay: rows in the outbox", outcome.times(), outcome.backlog());

            assertThat(outcome.peak()).as("the backlog grew while the broker was down").isGreaterThan(100);
            assertThat(relay.failedPasses()).as("relay passes that failed and backed off").isPositive();
            assertThat(outcome.lost()).isZero();
            assertThat(outcome.duplicateEffects()).isZero();
        }
    }

    @Test
    void cdcRelayLosesAndDoublesNothingAcrossTheSameOutage(KafkaBackend kafka, LabReport report) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        CdcRelay relay = OutboxFixture.cdcRelay(kafka, topic).ackTimeout(ACK_TIMEOUT)
                .producers(() -> OutboxFixture.impatientProducer(kafka)).build();
        try {
            relay.start();
            Outcome outcome = outage(kafka, topic, "outage-cdc", placed -> placed - relay.published());

            report.metric("cdc_lost_events", outcome.lost(), "events",
                    "Committed orders without an effect at the consumer after the same " + OUTAGE.toSeconds() + " s broker outage"
                            + " with the CDC relay (" + outcome.placed() + " orders).");
            report.metric("cdc_duplicate_effects", outcome.duplicateEffects(), "effects",
                    "Effects applied twice for one event with the CDC relay across the outage.");
            chart(report).series("CDC relay: inserts in the slot, not yet published", outcome.times(), outcome.backlog());

            assertThat(outcome.peak()).as("the backlog grew while the broker was down").isGreaterThan(100);
            assertThat(relay.failedBatches()).as("batches that failed and were retried").isPositive();
            assertThat(relay.engineError()).as("the engine kept running through the outage").isEmpty();
            assertThat(outcome.lost()).isZero();
            assertThat(outcome.duplicateEffects()).isZero();
        } finally {
            OutboxFixture.closeAndDropSlot(relay);
        }
    }

    /** Events committed but not yet published, given the orders placed so far. */
    @FunctionalInterface
    private interface Backlog {
        long of(long placed) throws SQLException;
    }

    private record Outcome(long placed, long lost, long duplicateEffects, double peak, double drainRate, double[] times, double[] backlog) {
    }

    /**
     * The schedule: orders and the consumer run; the broker is stopped after {@link #BEFORE} for
     * {@link #OUTAGE}; orders go on for {@link #AFTER}; then the backlog drains (bounded: whatever it
     * leaves undelivered is measured and returned, and the caller asserts).
     */
    private static Outcome outage(KafkaBackend kafka, String topic, String consumerName, Backlog backlog) throws Exception {
        OrderService orders = new OrderService(OutboxFixture.dataSource(), OutboxFixture.writer());
        List<double[]> samples = new ArrayList<>();
        long start = System.nanoTime();
        long placed;
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic);
             OutboxFixture.Traffic traffic = new OutboxFixture.Traffic(orders,
                     new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, consumerName))) {
            Sampler sampler = () -> samples.add(new double[] {(System.nanoTime() - start) / 1e9, backlog.of(traffic.placed())});
            sampleUntil(sampler, start, BEFORE);
            kafka.stop();
            try {
                sampleUntil(sampler, start, BEFORE.plus(OUTAGE));
            } finally {
                kafka.start();
            }
            sampleUntil(sampler, start, BEFORE.plus(OUTAGE).plus(AFTER));
            placed = traffic.stopWriting();
            OutboxFixture.eventually(DRAIN, Duration.ofMillis(250), () -> {
                sampler.sample();
                return backlog.of(placed) <= 0 && OutboxFixture.ordersWithoutEffect() == 0;
            });
        }
        assertThat(OutboxFixture.count("SELECT count(*) FROM orders")).isEqualTo(placed);
        return new Outcome(placed, OutboxFixture.ordersWithoutEffect(), OutboxFixture.duplicateEffects(),
                samples.stream().mapToDouble(point -> point[1]).max().orElse(0), drainRate(samples),
                samples.stream().mapToDouble(point -> point[0]).toArray(), samples.stream().mapToDouble(point -> point[1]).toArray());
    }

    @FunctionalInterface
    private interface Sampler {
        void sample() throws SQLException;
    }

    private static void sampleUntil(Sampler sampler, long start, Duration until) throws SQLException, InterruptedException {
        while (System.nanoTime() - start < until.toNanos()) {
            sampler.sample();
            Thread.sleep(250);
        }
    }

    private static double drainRate(List<double[]> backlog) {
        int peak = 0;
        for (int i = 1; i < backlog.size(); i++) {
            if (backlog.get(i)[1] > backlog.get(peak)[1]) {
                peak = i;
            }
        }
        for (int i = peak + 1; i < backlog.size(); i++) {
            if (backlog.get(i)[1] <= 0) {
                return backlog.get(peak)[1] / (backlog.get(i)[0] - backlog.get(peak)[0]);
            }
        }
        return 0;
    }

    private static ChartSpec chart(LabReport report) {
        return report.line(CHART, "Events committed but not yet published, across a " + OUTAGE.toSeconds()
                + " s broker outage (stopped at " + BEFORE.toSeconds() + " s)", "time (s)", "events waiting (events)");
    }
}
