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
import org.knowm.xchart.CategoryChart;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How fast the relay moves events from PostgreSQL to Kafka (acks=all, idempotent producer,
 * fsync on): by batch size with one relay, by relay count at batch 100 (every relay with its own
 * producer, as separate relay processes would have), and the end-to-end delay from each order's
 * scheduled send time to the consumer's effect at a fixed offered rate. For the throughput rows the
 * events are written before the relays start, so the relay's capacity is measured, not the writer's.
 */
@Lab
class RelayThroughputExperimentTest {

    private static final int[] BATCH_SIZES = {1, 10, 100, 500};
    private static final int[] RELAYS = {1, 2, 4};
    private static final int OFFERED_PER_SECOND = 1_000;
    /** Threads placing orders on the schedule: one order takes 1–3 ms here, so 4 keep up with 1,000/s with room to spare. */
    private static final int SENDERS = 4;
    /** How far the achieved rate may fall below the offered one before the run says its latencies describe a lower load. */
    private static final double RATE_TOLERANCE = 0.05;

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
        report.metric("relay_events_per_s_batch_1", byBatch.get("1"), "events/s", "One relay, one event per transaction.");
        report.metric("relay_events_per_s_batch_100", byBatch.get("100"), "events/s", "One relay, 100 events per transaction.");
        double best = Stream.concat(byBatch.values().stream(), byRelays.values().stream()).mapToDouble(Double::doubleValue).max().orElse(0);
        report.metric("relay_events_per_s_best", best, "events/s", "The best of every batch size and relay count measured.");

        EndToEnd e2e = endToEnd(kafka, OFFERED_PER_SECOND, scale.pick(Duration.ofSeconds(10), Duration.ofSeconds(60)));
        boolean rateMet = e2e.achievedPerSecond() >= OFFERED_PER_SECOND * (1 - RATE_TOLERANCE);
        report.metric("e2e_p50_ms", e2e.latency().p50Ms(), "ms",
                "Scheduled send time of the order to the consumer's effect, p50, at 1,000 orders/s offered.");
        report.metric("e2e_p99_ms", e2e.latency().p99Ms(), "ms",
                "Scheduled send time of the order to the consumer's effect, p99, at 1,000 orders/s offered"
                        + " (one relay, batch 100, 20 ms idle poll).");
        report.metric("e2e_achieved_orders_per_s", e2e.achievedPerSecond(), "orders/s",
                "Orders placed per second over the run; the latencies describe this load, not the offered one.");
        report.metric("e2e_offered_rate_met", rateMet ? 1 : 0, "flag",
                "1 if the achieved rate is within 5 % of the 1,000 orders/s offered; 0 means the latencies describe a lower load.");
        System.out.printf("e2e: offered %,d orders/s, achieved %,.0f orders/s: %s%n", OFFERED_PER_SECOND, e2e.achievedPerSecond(),
                rateMet ? "within 5 %" : "MORE THAN 5 % BELOW THE OFFERED RATE: e2e_p50_ms and e2e_p99_ms describe a lower load");

        assertThat(byBatch.values()).allMatch(rate -> rate > 0);
        assertThat(byRelays.values()).allMatch(rate -> rate > 0);
        assertThat(e2e.latency().count()).isEqualTo(e2e.placed());
    }

    /** Writes {@code events}, then runs {@code relays} relays, each with its own producer, until the outbox is empty; events per second. */
    private static double drain(KafkaBackend kafka, int events, int relays, int batch) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OutboxFixture.writeSequencedEvents(events);
        List<OutboxRelay> workers = new ArrayList<>();
        try {
            for (int i = 0; i < relays; i++) {
                workers.add(OutboxFixture.relay(kafka, topic).batchSize(batch).ackTimeout(Duration.ofSeconds(30)).build());
            }
            long start = System.nanoTime();
            OutboxFixture.runUntilEmpty(workers);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(workers.stream().mapToLong(BatchRelay::published).sum()).isEqualTo(events);
            return events / seconds;
        } finally {
            workers.forEach(BatchRelay::close);
        }
    }

    private record EndToEnd(LatencySummary latency, long placed, double achievedPerSecond) {
    }

    /**
     * Open-loop load: order {@code i} is due at {@code t0 + i × period}, whoever is free sends it then
     * (or at once, if the senders are late), and its latency runs from that due time to the
     * consumer's effect — a late send counts against the system, not in its favour.
     */
    private static EndToEnd endToEnd(KafkaBackend kafka, int perSecond, Duration duration) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OrderService orders = new OrderService(OutboxFixture.dataSource(), OutboxFixture.writer());
        int total = Math.toIntExact(perSecond * duration.toSeconds());
        long period = TimeUnit.SECONDS.toNanos(1) / perSecond;
        Map<String, Long> dueEpochNanos = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        AtomicLong failed = new AtomicLong();
        AtomicLong lastPlaced = new AtomicLong();
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        long placingNanos;
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic);
             RelayRunner relay = OutboxFixture.runner(kafka, topic, "relay-e2e")) {
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "e2e");
            Instant wallStart = Instant.now();
            long t0 = System.nanoTime();
            long epochStart = TimeUnit.SECONDS.toNanos(wallStart.getEpochSecond()) + wallStart.getNano();
            for (int s = 0; s < SENDERS; s++) {
                senders.submit(() -> {
                    for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                        TimeUnit.NANOSECONDS.sleep(t0 + i * period - System.nanoTime());
                        Order order = Order.create("customer-" + i % 97, 100);
                        try {
                            orders.place(order);
                            dueEpochNanos.put(order.id().toString(), epochStart + i * period);
                        } catch (SQLException | RuntimeException e) {
                            failed.incrementAndGet();
                        }
                        lastPlaced.accumulateAndGet(System.nanoTime(), Math::max);
                    }
                    return null;
                });
            }
            OutboxFixture.drain(consumer, total, duration.plusSeconds(60));
            placingNanos = lastPlaced.get() - t0;
        } finally {
            senders.shutdownNow();
        }
        assertThat(failed).as("orders that failed to commit").hasValue(0);
        LatencyRecorder latency = new LatencyRecorder();
        try (Connection connection = OutboxFixture.dataSource().getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT aggregate_id, applied_at FROM effects")) {
            while (rows.next()) {
                Instant applied = rows.getObject(2, OffsetDateTime.class).toInstant();
                long appliedEpochNanos = TimeUnit.SECONDS.toNanos(applied.getEpochSecond()) + applied.getNano();
                latency.recordNanos(appliedEpochNanos - dueEpochNanos.get(rows.getString(1)));
            }
        }
        return new EndToEnd(latency.summary(), dueEpochNanos.size(), dueEpochNanos.size() / (placingNanos / 1e9));
    }

    private static CategoryChart chart(Map<String, Double> byBatch, Map<String, Double> byRelays) {
        CategoryChart chart = Charts.bars("Relay throughput, PostgreSQL to Kafka (acks=all, fsync on)",
                "configuration (batch size, relays)", "throughput (events/s)");
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
