package dev.backendlabs.outbox;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LatencyRecorder;
import dev.backendlabs.shared.report.ChartSpec;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The three relays on the same orders, one after the other in the same run: plain polling (20 ms
 * idle poll), polling woken by NOTIFY (1 s fallback poll) and CDC (Debezium on the WAL). For each:
 * the end-to-end delay from each order's scheduled send time to the consumer's effect at a fixed
 * offered rate (open loop), split into three legs — the writer's commit, the relay (commit to the
 * record's Kafka timestamp, i.e. the relay's send), the consumer (that timestamp to the effect) — so
 * that a latency can be placed on the path; the outbox-table scans the database served per event
 * during that run; and the relay's throughput at saturation (a backlog written first, the relay
 * started after).
 */
@Lab
class RelayComparisonExperimentTest {

    private static final int OFFERED_PER_SECOND = 1_000;
    /** Threads placing orders on the schedule: one order takes 1–3 ms here, so 4 keep up with 1,000/s with room to spare. */
    private static final int SENDERS = 4;
    /** How far the achieved rate may fall below the offered one before the run says its latencies describe a lower load. */
    private static final double RATE_TOLERANCE = 0.05;
    private static final double[] CDF_PERCENTILES = cdfPercentiles();

    /**
     * One relay's e2e run: the whole delay, and its three legs per order — the writer (due time to
     * commit returned), the relay (commit to the record's Kafka timestamp, set by the relay's producer
     * at {@code send()}, in whole ms) and the consumer (that timestamp to the effect's insert).
     */
    private record EndToEnd(Histogram latency, Histogram writer, Histogram relay, Histogram consumer, long placed,
                            double achievedPerSecond, double scansPerEvent) {
    }

    @Experiment
    void pollingNotifyAndCdcSideBySide(PostgresBackend postgres, KafkaBackend kafka, Scale scale, LabReport report) throws Exception {
        Duration duration = scale.pick(Duration.ofSeconds(4), Duration.ofSeconds(60));
        int backlog = scale.pick(5_000, 50_000);
        Map<RelayVariant, EndToEnd> e2e = new EnumMap<>(RelayVariant.class);
        Map<RelayVariant, Double> saturation = new EnumMap<>(RelayVariant.class);
        ReportTable table = ReportTable.of("Polling, NOTIFY and CDC on the same order stream (" + scale.label() + " scale, "
                        + OFFERED_PER_SECOND + " orders/s offered for " + duration.toSeconds() + " s)",
                "relay", "e2e p50 (ms)", "e2e p99 (ms)", "p50 due → committed (ms)", "p50 committed → sent to Kafka (ms)",
                "p50 sent → effect (ms)", "achieved orders/s", "outbox scans per event", "events/s at saturation");
        ChartSpec cdf = report.line("e2e-latency-cdf.png", "End-to-end latency at " + OFFERED_PER_SECOND
                + " orders/s offered, scheduled send to consumer effect", "latency (ms)", "orders at or below (%)");
        for (RelayVariant variant : RelayVariant.values()) {
            EndToEnd run = endToEnd(postgres, kafka, variant, duration);
            double rate = saturation(postgres, kafka, variant, backlog);
            e2e.put(variant, run);
            saturation.put(variant, rate);
            table.row(variant.label(), ms(run.latency(), 50), ms(run.latency(), 99), ms(run.writer(), 50), ms(run.relay(), 50),
                    ms(run.consumer(), 50), Math.round(run.achievedPerSecond()),
                    run.scansPerEvent(), Math.round(rate));
            cdf.series(variant.label(), latencies(run.latency()), CDF_PERCENTILES);
        }
        report.table(table);

        report.metric("polling_e2e_p50_ms", ms(e2e.get(RelayVariant.POLLING).latency(), 50), "ms",
                "Polling relay (20 ms idle poll): scheduled send of the order to the consumer's effect, p50, at 1,000 orders/s offered.");
        report.metric("polling_e2e_p99_ms", ms(e2e.get(RelayVariant.POLLING).latency(), 99), "ms",
                "Polling relay (20 ms idle poll, batch 100): scheduled send to the consumer's effect, p99, at 1,000 orders/s offered.");
        report.metric("notify_e2e_p50_ms", ms(e2e.get(RelayVariant.POLLING_NOTIFY).latency(), 50), "ms",
                "Polling relay woken by NOTIFY (1 s fallback poll): scheduled send to the consumer's effect, p50, at 1,000 orders/s.");
        report.metric("notify_e2e_p99_ms", ms(e2e.get(RelayVariant.POLLING_NOTIFY).latency(), 99), "ms",
                "Polling relay woken by NOTIFY: scheduled send to the consumer's effect, p99, at 1,000 orders/s offered.");
        report.metric("cdc_e2e_p50_ms", ms(e2e.get(RelayVariant.CDC).latency(), 50), "ms",
                "CDC relay (Debezium, 5 ms connector poll): scheduled send to the consumer's effect, p50, at 1,000 orders/s offered.");
        report.metric("cdc_e2e_p99_ms", ms(e2e.get(RelayVariant.CDC).latency(), 99), "ms",
                "CDC relay: scheduled send to the consumer's effect, p99, at 1,000 orders/s offered.");
        report.metric("polling_relay_leg_p50_ms", ms(e2e.get(RelayVariant.POLLING).relay(), 50), "ms",
                "Polling relay: from the order's commit to its record's Kafka timestamp (the relay's send), p50, in the e2e run.");
        report.metric("notify_relay_leg_p50_ms", ms(e2e.get(RelayVariant.POLLING_NOTIFY).relay(), 50), "ms",
                "Polling relay woken by NOTIFY: from the order's commit to its record's Kafka timestamp, p50: the part a wake-up can"
                        + " shorten.");
        report.metric("notify_consumer_leg_p50_ms", ms(e2e.get(RelayVariant.POLLING_NOTIFY).consumer(), 50), "ms",
                "NOTIFY run: from the record's Kafka timestamp to the consumer's effect (broker, fetch, the inbox transaction), p50.");
        report.metric("cdc_relay_leg_p50_ms", ms(e2e.get(RelayVariant.CDC).relay(), 50), "ms",
                "CDC relay: from the order's commit to its record's Kafka timestamp (WAL decoding, the connector, the send), p50.");
        report.metric("cdc_events_per_s", saturation.get(RelayVariant.CDC), "events/s",
                "CDC relay draining a backlog of " + backlog + " events written while it was stopped (first to last ack).");
        report.metric("db_queries_per_event_polling", e2e.get(RelayVariant.POLLING).scansPerEvent(), "scans/event",
                "Scans of the outbox table (pg_stat_user_tables seq_scan + idx_scan) per order during the polling relay's e2e run.");
        report.metric("db_queries_per_event_notify", e2e.get(RelayVariant.POLLING_NOTIFY).scansPerEvent(), "scans/event",
                "Scans of the outbox table per order during the NOTIFY relay's e2e run.");
        report.metric("db_queries_per_event_cdc", e2e.get(RelayVariant.CDC).scansPerEvent(), "scans/event",
                "Scans of the outbox table per order during the CDC relay's e2e run (the WAL sender's decoding is not a scan).");
        double slowest = e2e.values().stream().mapToDouble(EndToEnd::achievedPerSecond).min().orElse(0);
        boolean rateMet = slowest >= OFFERED_PER_SECOND * (1 - RATE_TOLERANCE);
        report.metric("e2e_achieved_orders_per_s", slowest, "orders/s",
                "The lowest rate at which orders were placed in the three e2e runs; the latencies describe this load, not the offered"
                        + " one.");
        report.metric("e2e_offered_rate_met", rateMet ? 1 : 0, "flag",
                "1 if every e2e run achieved within 5 % of the 1,000 orders/s offered; 0 means some latencies describe a lower load.");
        System.out.printf("e2e: offered %,d orders/s, lowest achieved %,.0f orders/s: %s%n", OFFERED_PER_SECOND, slowest,
                rateMet ? "within 5 %" : "MORE THAN 5 % BELOW THE OFFERED RATE: the e2e latencies describe a lower load");

        assertThat(e2e.values()).allMatch(run -> run.latency().getTotalCount() == run.placed() && run.placed() > 0);
        assertThat(saturation.values()).allMatch(rate -> rate > 0);
    }

    /**
     * Open-loop load: order {@code i} is due at {@code t0 + i × period}, whoever is free sends it then
     * (or at once, if the senders are late), and its latency runs from that due time to the
     * consumer's effect — a late send counts against the system, not in its favour. The consumer has
     * joined its group before the first order is due. The outbox scans
     * are counted over the run, from the relay's start to its close (which ends its connections and
     * so flushes their statistics).
     */
    private static EndToEnd endToEnd(PostgresBackend postgres, KafkaBackend kafka, RelayVariant variant, Duration duration)
            throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OutboxWriter writer = variant.writer(OutboxFixture.writer());
        OrderService orders = new OrderService(OutboxFixture.dataSource(), writer);
        int total = Math.toIntExact(OFFERED_PER_SECOND * duration.toSeconds());
        long period = TimeUnit.SECONDS.toNanos(1) / OFFERED_PER_SECOND;
        Map<String, Long> dueEpochNanos = new ConcurrentHashMap<>();
        Map<String, Long> committedEpochNanos = new ConcurrentHashMap<>();
        Map<String, Long> sentEpochMillis = new HashMap<>();
        AtomicInteger next = new AtomicInteger();
        AtomicLong failed = new AtomicLong();
        AtomicLong lastPlaced = new AtomicLong();
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        long placingNanos;
        long scansBefore;
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic);
             KafkaConsumer<String, String> sendTimes = OutboxFixture.consumer(kafka, topic);
             RelayVariant.Relay relay = variant.create(postgres, OutboxFixture.NAMESPACE, kafka, writer, topic)) {
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "e2e-" + variant.name().toLowerCase());
            // Join the consumer group before the clock starts: a group join is start-up, not steady-state latency.
            boolean joined = OutboxFixture.eventually(Duration.ofSeconds(30), Duration.ZERO, () -> {
                kafkaConsumer.poll(Duration.ofMillis(50));
                return !kafkaConsumer.assignment().isEmpty();
            });
            assertThat(joined).as("the consumer joined its group").isTrue();
            scansBefore = outboxScans();
            relay.start();
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
                            committedEpochNanos.put(order.id().toString(), epochStart + System.nanoTime() - t0);
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
            OutboxFixture.eventually(Duration.ofSeconds(30), Duration.ZERO, () -> {
                sendTimes.poll(Duration.ofMillis(200)).forEach(record -> sentEpochMillis.putIfAbsent(record.key(), record.timestamp()));
                return sentEpochMillis.size() >= dueEpochNanos.size();
            });
        } finally {
            senders.shutdownNow();
        }
        assertThat(failed).as("orders that failed to commit").hasValue(0);
        long scans = settledOutboxScans() - scansBefore;
        LatencyRecorder latency = new LatencyRecorder();
        LatencyRecorder writerLeg = new LatencyRecorder();
        LatencyRecorder relayLeg = new LatencyRecorder();
        LatencyRecorder consumerLeg = new LatencyRecorder();
        try (Connection connection = OutboxFixture.dataSource().getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT aggregate_id, applied_at FROM effects")) {
            while (rows.next()) {
                Instant applied = rows.getObject(2, OffsetDateTime.class).toInstant();
                long appliedEpochNanos = TimeUnit.SECONDS.toNanos(applied.getEpochSecond()) + applied.getNano();
                String order = rows.getString(1);
                long committed = committedEpochNanos.get(order);
                long sent = TimeUnit.MILLISECONDS.toNanos(sentEpochMillis.get(order));
                latency.recordNanos(appliedEpochNanos - dueEpochNanos.get(order));
                writerLeg.recordNanos(committed - dueEpochNanos.get(order));
                // The Kafka timestamp has whole milliseconds: a leg can come out up to 1 ms short, or below zero.
                relayLeg.recordNanos(Math.max(0, sent - committed));
                consumerLeg.recordNanos(Math.max(0, appliedEpochNanos - sent));
            }
        }
        long placed = dueEpochNanos.size();
        return new EndToEnd(latency.histogram(), writerLeg.histogram(), relayLeg.histogram(), consumerLeg.histogram(), placed,
                placed / (placingNanos / 1e9), (double) scans / placed);
    }

    /**
     * A backlog written while the relay does not run (for CDC, its slot exists already), then the
     * relay started: events per second between its first and its last acknowledged batch, so a
     * relay's start-up (an engine connecting, a first poll) is not counted.
     */
    private static double saturation(PostgresBackend postgres, KafkaBackend kafka, RelayVariant variant, int events) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OutboxWriter writer = variant.writer(OutboxFixture.writer());
        try (RelayVariant.Relay relay = variant.create(postgres, OutboxFixture.NAMESPACE, kafka, writer, topic)) {
            OutboxFixture.writeSequencedEvents(events);
            relay.start();
            long[] first = new long[2];
            boolean drained = OutboxFixture.eventually(Duration.ofSeconds(120), Duration.ofMillis(1), () -> {
                long published = relay.published();
                if (published > 0 && first[0] == 0) {
                    first[0] = System.nanoTime();
                    first[1] = published;
                }
                return published >= events;
            });
            long last = System.nanoTime();
            assertThat(drained).as(variant.label() + " published the whole backlog").isTrue();
            return (events - first[1]) / ((last - first[0]) / 1e9);
        }
    }

    /** Statements that read the outbox table so far: sequential plus index scans. */
    private static long outboxScans() throws SQLException {
        return OutboxFixture.count("SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'outbox'");
    }

    /**
     * The scan count once the relay's ended sessions have flushed their statistics (a backend
     * flushes when it exits, a moment after its connection closed): the first value that two reads
     * 200 ms apart agree on.
     */
    private static long settledOutboxScans() throws SQLException {
        long[] previous = {outboxScans()};
        OutboxFixture.eventually(Duration.ofSeconds(15), Duration.ofMillis(200), () -> {
            long now = outboxScans();
            boolean settled = now == previous[0];
            previous[0] = now;
            return settled;
        });
        return previous[0];
    }

    private static double ms(Histogram latency, double percentile) {
        return latency.getValueAtPercentile(percentile) / 1e6;
    }

    private static double[] latencies(Histogram latency) {
        double[] ms = new double[CDF_PERCENTILES.length];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = latency.getValueAtPercentile(CDF_PERCENTILES[i]) / 1e6;
        }
        return ms;
    }

    /** 1 %, 2 %, … 99 %, then 99.5 and 99.9 %. */
    private static double[] cdfPercentiles() {
        double[] percentiles = new double[101];
        for (int i = 0; i < 99; i++) {
            percentiles[i] = i + 1;
        }
        percentiles[99] = 99.5;
        percentiles[100] = 99.9;
        return percentiles;
    }
}
