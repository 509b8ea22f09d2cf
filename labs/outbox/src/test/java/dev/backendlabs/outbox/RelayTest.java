package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay under failure and concurrency: a relay killed after Kafka acknowledged but before its
 * transaction committed; several relays at once over 10,000 events on 100 aggregates; and the
 * naive SKIP LOCKED relay that reorders an aggregate's events when one relay stalls.
 */
@Lab("outbox")
class RelayTest {

    private static final int AGGREGATES = 100;
    private static final int EVENTS = 10_000;
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);

    @Test
    void relayKilledBetweenFlushAndCommitRedeliversAndTheInboxAbsorbsIt(KafkaBackend kafka, LabReport report) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        int events = 500;
        writeSequencedEvents(events);
        try (KafkaProducer<String, String> producer = OutboxFixture.producer(kafka);
             KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic)) {
            AtomicBoolean crashed = new AtomicBoolean();
            BatchRelay dying = new OutboxRelay(OutboxFixture.dataSource(), producer, topic, OutboxFixture.writer(), 100, ACK_TIMEOUT,
                    new BatchRelay.Hooks() {
                        @Override
                        public void afterAcks(List<PendingEvent> published) throws SQLException {
                            if (crashed.compareAndSet(false, true)) {
                                throw new SQLException("relay process killed after flush, before commit");
                            }
                        }
                    });
            try {
                dying.publishBatch();
            } catch (SQLException expected) {
                // The crash: Kafka has the batch, the outbox still has it too.
            }
            BatchRelay restarted = new OutboxRelay(OutboxFixture.dataSource(), producer, topic, OutboxFixture.writer(), 100, ACK_TIMEOUT,
                    new BatchRelay.Hooks() { });
            while (restarted.publishBatch() > 0) {
                // drain
            }

            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "crash");
            OutboxFixture.drain(consumer, events, Duration.ofSeconds(60));
            consumer.pollOnce(Duration.ofMillis(500));

            report.metric("consumer_duplicate_deliveries", consumer.duplicates(), "records",
                    "Records the consumer received a second time after a relay died between flush and commit; the inbox skipped them.");
            assertThat(crashed).isTrue();
            assertThat(consumer.duplicates()).isPositive();
            assertThat(OutboxFixture.duplicateEffects()).isZero();
            assertThat(OutboxFixture.count("SELECT count(DISTINCT event_id) FROM effects")).isEqualTo(events);
            assertThat(OutboxFixture.count("SELECT count(*) FROM outbox")).isZero();
        }
    }

    @Test
    void twoAndFourRelaysKeepEveryAggregateInOrder(KafkaBackend kafka, LabReport report) throws Exception {
        long violations = 0;
        for (int relays : new int[] {2, 4}) {
            String topic = OutboxFixture.freshTopic(kafka);
            writeSequencedEvents(EVENTS);
            try (KafkaProducer<String, String> producer = OutboxFixture.producer(kafka);
                 KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic)) {
                List<BatchRelay> workers = new ArrayList<>();
                for (int i = 0; i < relays; i++) {
                    workers.add(new OutboxRelay(OutboxFixture.dataSource(), producer, topic, OutboxFixture.writer(), 100, ACK_TIMEOUT,
                            new BatchRelay.Hooks() { }));
                }
                runUntilEmpty(workers);
                InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "order-" + relays);
                OutboxFixture.drain(consumer, EVENTS, Duration.ofSeconds(120));

                assertThat(OutboxFixture.count("SELECT count(DISTINCT event_id) FROM effects")).as("delivered with %d relays", relays).isEqualTo(EVENTS);
                assertThat(workers).as("every relay took part").allMatch(worker -> worker.published() > 0);
                long found = OutboxFixture.orderViolations();
                assertThat(found).as("order violations with %d relays", relays).isZero();
                violations += found;
            }
        }
        report.metric("outbox_order_violations", violations, "events",
                "Per-aggregate order violations at the consumer with 2 and then 4 partition-owning relays, " + EVENTS + " events on " + AGGREGATES + " aggregates each.");
    }

    @Test
    void twoSkipLockedRelaysReorderAnAggregateWhenOneStalls(KafkaBackend kafka, LabReport report) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        writeSequencedEvents(1_000);
        try (KafkaProducer<String, String> producer = OutboxFixture.producer(kafka);
             KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic)) {
            CountDownLatch secondPublished = new CountDownLatch(1);
            AtomicBoolean stalled = new AtomicBoolean();
            BatchRelay slow = new SkipLockedRelay(OutboxFixture.dataSource(), producer, topic, 100, ACK_TIMEOUT, new BatchRelay.Hooks() {
                @Override
                public void afterClaim(List<PendingEvent> claimed) throws InterruptedException {
                    // A GC pause or a slow ack: this relay holds the oldest batch while the other one carries on.
                    if (stalled.compareAndSet(false, true)) {
                        secondPublished.await(30, TimeUnit.SECONDS);
                    }
                }
            });
            BatchRelay fast = new SkipLockedRelay(OutboxFixture.dataSource(), producer, topic, 100, ACK_TIMEOUT, new BatchRelay.Hooks() { });
            ExecutorService executor = Executors.newSingleThreadExecutor();
            try {
                Future<Integer> first = executor.submit(slow::publishBatch);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!stalled.get()) {
                    assertThat(System.nanoTime()).as("the slow relay reached its stall").isLessThan(deadline);
                    Thread.onSpinWait();
                }
                fast.publishBatch();
                secondPublished.countDown();
                first.get(60, TimeUnit.SECONDS);
            } finally {
                executor.shutdownNow();
            }
            runUntilEmpty(List.of(slow, fast));

            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "naive");
            OutboxFixture.drain(consumer, 1_000, Duration.ofSeconds(60));
            long violations = OutboxFixture.orderViolations();
            report.metric("naive_multi_relay_order_violations", violations, "events",
                    "Per-aggregate order violations when two SKIP LOCKED relays share the outbox and the one holding the oldest batch stalls.");
            assertThat(violations).isPositive();
        }
    }

    /** 100 aggregates, each with events numbered 1, 2, 3… in its "seq" field, interleaved, one transaction per event. */
    static void writeSequencedEvents(int events) throws SQLException {
        OutboxWriter writer = OutboxFixture.writer();
        try (Connection connection = OutboxFixture.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            for (int i = 0; i < events; i++) {
                int aggregate = i % AGGREGATES;
                writer.append(connection, OutboxEvent.of("account", "acct-" + aggregate, "Deposited", "{\"seq\": " + (i / AGGREGATES + 1) + "}"));
                if (i % 500 == 499) {
                    connection.commit();
                }
            }
            connection.commit();
        }
    }

    /** Runs every relay on its own thread until the outbox is empty. */
    static void runUntilEmpty(List<BatchRelay> relays) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(relays.size());
        try {
            List<Future<?>> running = new ArrayList<>();
            for (BatchRelay relay : relays) {
                running.add(executor.submit(() -> {
                    // An empty pass may only mean that other relays hold every partition with rows right now.
                    while (true) {
                        if (relay.publishBatch() > 0) {
                            continue;
                        }
                        if (OutboxBacklog.of(OutboxFixture.dataSource()).events() == 0) {
                            return null;
                        }
                        Thread.sleep(1);
                    }
                }));
            }
            for (Future<?> future : running) {
                future.get(120, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
        }
    }
}
