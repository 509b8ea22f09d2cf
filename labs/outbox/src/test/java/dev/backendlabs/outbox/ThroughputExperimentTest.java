package dev.backendlabs.outbox;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LatencyRecorder;
import dev.backendlabs.shared.load.LatencySummary;
import dev.backendlabs.shared.report.Charts;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.knowm.xchart.CategoryChart;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How fast the relay moves events from PostgreSQL to Kafka (acks=all, idempotent producer,
 * fsync on): by batch size with one relay, by relay count at batch 100, and the end-to-end delay
 * from the order's transaction to the consumer's effect at a fixed offered rate. The events are
 * written before the relays start, so the relay's capacity is measured, not the writer's.
 */
@Lab("outbox")
class ThroughputExperimentTest {

    private static final int[] BATCH_SIZES = {1, 10, 100, 500};
    private static final int[] RELAYS = {1, 2, 4};

    @Experiment
    void relayThroughputByBatchSizeAndRelayCountAndEndToEndLatency(KafkaBackend kafka, Scale scale, LabReport report) throws Exception {
        Map<String, Double> byBatch = new LinkedHashMap<>();
        ReportTable table = ReportTable.of("Relay throughput (" + scale.label() + " scale)", "relays", "batch size", "events", "events/s");
        for (int batch : BATCH_SIZES) {
            int events = batch == 1 ? scale.pick(1_000, 5_000) : scale.pick(10_000, 50_000);
            double rate = drain(kafka, events, 1, batch);
            byBatch.put(Integer.toString(batch), rate);
            table.row(1, batch, events, Math.round(rate));
        }
        Map<String, Double> byRelays = new LinkedHashMap<>();
        for (int relays : RELAYS) {
            int events = scale.pick(10_000, 50_000);
            double rate = drain(kafka, events, relays, 100);
            byRelays.put(Integer.toString(relays), rate);
            table.row(relays, 100, events, Math.round(rate));
        }
        report.table(table);
        report.chart("events-per-second.png", chart(byBatch, byRelays));
        report.metric("relay_events_per_s_batch_1", byBatch.get("1"), "events/s", "One relay, one event per transaction and flush.");
        report.metric("relay_events_per_s_batch_100", byBatch.get("100"), "events/s", "One relay, 100 events per transaction and flush.");
        double best = java.util.stream.Stream.concat(byBatch.values().stream(), byRelays.values().stream()).mapToDouble(Double::doubleValue).max().orElse(0);
        report.metric("relay_events_per_s_best", best, "events/s", "The best of every batch size and relay count measured.");

        LatencySummary e2e = endToEnd(kafka, 1_000, scale.pick(Duration.ofSeconds(10), Duration.ofSeconds(60)));
        report.metric("e2e_p50_ms", e2e.p50Ms(), "ms", "Order commit to consumer effect, p50, at 1,000 orders/s offered.");
        report.metric("e2e_p99_ms", e2e.p99Ms(), "ms", "Order commit to consumer effect, p99, at 1,000 orders/s offered (one relay, batch 100, 20 ms idle poll).");

        assertThat(byBatch.values()).allMatch(rate -> rate > 0);
        assertThat(e2e.count()).isPositive();
    }

    /** Writes {@code events}, then runs {@code relays} relays until the outbox is empty; events per second. */
    private static double drain(KafkaBackend kafka, int events, int relays, int batch) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        RelayTest.writeSequencedEvents(events);
        try (KafkaProducer<String, String> producer = OutboxFixture.producer(kafka)) {
            List<BatchRelay> workers = new ArrayList<>();
            for (int i = 0; i < relays; i++) {
                workers.add(new OutboxRelay(OutboxFixture.dataSource(), producer, topic, OutboxFixture.writer(), batch, Duration.ofSeconds(30),
                        new BatchRelay.Hooks() { }));
            }
            long start = System.nanoTime();
            RelayTest.runUntilEmpty(workers);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(workers.stream().mapToLong(BatchRelay::published).sum()).isEqualTo(events);
            return events / seconds;
        }
    }

    /** Places orders at {@code perSecond} for {@code duration} with a relay and a consumer running; commit-to-effect latency. */
    private static LatencySummary endToEnd(KafkaBackend kafka, int perSecond, Duration duration) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OrderService orders = new OrderService(OutboxFixture.dataSource(), OutboxFixture.writer());
        AtomicLong placed = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long total = perSecond * duration.toSeconds();
        ScheduledExecutorService clock = Executors.newScheduledThreadPool(2);
        try (KafkaProducer<String, String> producer = OutboxFixture.producer(kafka);
             KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic);
             RelayRunner relay = OutboxFixture.runner(producer, topic, "relay-e2e")) {
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "e2e");
            clock.scheduleAtFixedRate(() -> {
                if (placed.get() < total) {
                    try {
                        orders.place(Order.create("customer-" + placed.get() % 97, 100));
                        placed.incrementAndGet();
                    } catch (Exception e) {
                        failed.incrementAndGet(); // a thrown exception would cancel the schedule silently
                    }
                }
            }, 0, 1_000_000 / perSecond, TimeUnit.MICROSECONDS);
            OutboxFixture.drain(consumer, total, duration.plusSeconds(60));
        } finally {
            clock.shutdownNow();
        }
        assertThat(failed).as("orders that failed to commit").hasValue(0);
        LatencyRecorder latency = new LatencyRecorder();
        try (Connection connection = OutboxFixture.dataSource().getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT extract(epoch FROM e.applied_at - o.created_at) * 1e9"
                     + " FROM effects e JOIN orders o ON o.id::text = e.aggregate_id")) {
            while (rows.next()) {
                latency.recordNanos(Math.round(rows.getDouble(1)));
            }
        }
        return latency.summary();
    }

    private static CategoryChart chart(Map<String, Double> byBatch, Map<String, Double> byRelays) {
        CategoryChart chart = Charts.bars("Relay throughput, PostgreSQL to Kafka (acks=all, fsync on)", "configuration (batch size, relays)",
                "throughput (events/s)");
        List<String> labels = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        byBatch.forEach((batch, rate) -> {
            labels.add("batch " + batch + ", 1 relay");
            values.add(rate);
        });
        byRelays.forEach((relays, rate) -> {
            labels.add("batch 100, " + relays + (relays.equals("1") ? " relay" : " relays"));
            values.add(rate);
        });
        chart.addSeries("events/s", labels, values);
        chart.getStyler().setXAxisLabelRotation(20);
        chart.getStyler().setLegendVisible(false);
        return chart;
    }
}
