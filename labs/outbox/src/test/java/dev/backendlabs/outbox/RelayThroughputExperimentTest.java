package dev.backendlabs.outbox;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.Charts;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.knowm.xchart.CategoryChart;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How fast the relay moves events from PostgreSQL to Kafka (acks=all, idempotent producer,
 * fsync on): by batch size with one relay, by relay count at batch 100 (every relay with its own
 * producer, as separate relay processes would have). The events are written before the relays
 * start, so the relay's capacity is measured, not the writer's. The end-to-end delay is
 * {@code RelayComparisonExperimentTest}'s.
 */
@Lab
class RelayThroughputExperimentTest {

    private static final int[] BATCH_SIZES = {1, 10, 100, 500};
    private static final int[] RELAYS = {1, 2, 4};

    @Experiment
    void relayThroughputByBatchSizeAndRelayCount(KafkaBackend kafka, Scale scale, LabReport report) throws Exception {
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

        assertThat(byBatch.values()).allMatch(rate -> rate > 0);
        assertThat(byRelays.values()).allMatch(rate -> rate > 0);
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
