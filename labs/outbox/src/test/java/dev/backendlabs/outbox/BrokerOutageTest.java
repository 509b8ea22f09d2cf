package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.Charts;
import dev.backendlabs.shared.report.LabReport;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker goes away. A steady stream of orders while the broker is stopped for 10 s: orders
 * keep committing (the write path does not touch Kafka), the outbox backlog grows, the relay backs
 * off, and after the restart the backlog drains and every committed order has exactly one effect
 * at the consumer.
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

    @Test
    void backlogGrowsDuringAnOutageAndDrainsWithNothingLostOrDoubled(KafkaBackend kafka, LabReport report) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OrderService orders = new OrderService(OutboxFixture.dataSource(), OutboxFixture.writer());
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong placed = new AtomicLong();
        List<double[]> backlog = new ArrayList<>();
        long start = System.nanoTime();
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic);
             RelayRunner relay = new RelayRunner(OutboxFixture.relay(kafka, topic).ackTimeout(ACK_TIMEOUT)
                     .producers(() -> OutboxFixture.impatientProducer(kafka)).build(),
                     "relay", Duration.ofMillis(20), Duration.ofSeconds(1))) {
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "outage");
            Future<?> writer = executor.submit(() -> {
                while (writing.get()) {
                    orders.place(Order.create("customer-" + placed.get() % 97, 100 + placed.get()));
                    placed.incrementAndGet();
                    Thread.sleep(2);
                }
                return null;
            });
            AtomicBoolean consuming = new AtomicBoolean(true);
            Future<?> consumerLoop = executor.submit(() -> {
                while (consuming.get()) {
                    try {
                        consumer.pollOnce(Duration.ofMillis(100));
                    } catch (org.apache.kafka.common.KafkaException | SQLException e) {
                        // Offset commits fail while the broker is away: the records are redelivered and the inbox absorbs them.
                    }
                }
                return null;
            });

            sampleUntil(backlog, start, BEFORE);
            kafka.stop();
            try {
                sampleUntil(backlog, start, BEFORE.plus(OUTAGE));
            } finally {
                kafka.start();
            }
            sampleUntil(backlog, start, BEFORE.plus(OUTAGE).plus(AFTER));
            writing.set(false);
            writer.get(30, TimeUnit.SECONDS);
            // A bounded drain: whatever it leaves undelivered is measured and recorded below, then asserted.
            OutboxFixture.eventually(DRAIN, Duration.ofMillis(250), () -> {
                sample(backlog, start);
                return OutboxBacklog.of(OutboxFixture.dataSource()).events() == 0 && OutboxFixture.ordersWithoutEffect() == 0;
            });
            consuming.set(false);
            consumerLoop.get(30, TimeUnit.SECONDS);

            long lost = OutboxFixture.ordersWithoutEffect();
            long duplicateEffects = OutboxFixture.duplicateEffects();
            double peak = backlog.stream().mapToDouble(point -> point[1]).max().orElse(0);
            report.metric("outbox_lost_events", lost, "events",
                    "Committed orders without an effect at the consumer after a " + OUTAGE.toSeconds() + " s broker outage ("
                            + placed.get() + " orders).");
            report.metric("outbox_duplicate_effects", duplicateEffects, "effects", "Effects applied twice for one event in the same run.");
            report.metric("outage_peak_backlog", peak, "events", "Largest outbox backlog sampled during the outage.");
            report.metric("outage_drain_events_per_s", drainRate(backlog), "events/s",
                    "How fast the relay emptied the backlog after the restart (peak backlog / time from the peak to the first empty"
                            + " sample).");
            report.chart("backlog-across-outage.png", chart(backlog));

            assertThat(OutboxFixture.count("SELECT count(*) FROM orders")).isEqualTo(placed.get());
            assertThat(peak).as("the backlog grew while the broker was down").isGreaterThan(100);
            assertThat(relay.failedPasses()).as("relay passes that failed and backed off").isPositive();
            assertThat(lost).isZero();
            assertThat(duplicateEffects).isZero();
        } finally {
            writing.set(false);
            executor.shutdownNow();
        }
    }

    private static void sampleUntil(List<double[]> backlog, long start, Duration until) throws SQLException, InterruptedException {
        while (System.nanoTime() - start < until.toNanos()) {
            sample(backlog, start);
            Thread.sleep(250);
        }
    }

    private static void sample(List<double[]> backlog, long start) throws SQLException {
        backlog.add(new double[] {(System.nanoTime() - start) / 1e9, OutboxBacklog.of(OutboxFixture.dataSource()).events()});
    }

    private static double drainRate(List<double[]> backlog) {
        int peak = 0;
        for (int i = 1; i < backlog.size(); i++) {
            if (backlog.get(i)[1] > backlog.get(peak)[1]) {
                peak = i;
            }
        }
        for (int i = peak + 1; i < backlog.size(); i++) {
            if (backlog.get(i)[1] == 0) {
                return backlog.get(peak)[1] / (backlog.get(i)[0] - backlog.get(peak)[0]);
            }
        }
        return 0;
    }

    private static XYChart chart(List<double[]> backlog) {
        XYChart chart = Charts.line("Outbox backlog across a " + OUTAGE.toSeconds() + " s broker outage (stopped at "
                + BEFORE.toSeconds() + " s)", "time (s)", "events waiting in the outbox (events)");
        chart.addSeries("backlog", backlog.stream().mapToDouble(point -> point[0]).toArray(),
                backlog.stream().mapToDouble(point -> point[1]).toArray()).setMarker(SeriesMarkers.NONE);
        return chart;
    }
}
