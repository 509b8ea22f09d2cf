package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The database goes away under the consumer, twice, while orders keep being placed and the relay
 * keeps publishing: once between two polls (the consumer then polls records it cannot apply: no
 * connection from the pool, or a dead one), and once inside a poll's transaction, just before its
 * commit (the commit fails, and so does the rollback on the dead connection). Each time the consumer
 * must go back to the records it never applied; afterwards every order has exactly one effect.
 */
@Lab
class DatabaseOutageTest {

    /** Long enough for the writer, the relay and the consumer to fail against the stopped server. */
    private static final Duration DOWN_AT_LEAST = Duration.ofSeconds(1);
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void consumerAppliesEveryEventExactlyOnceAcrossDatabaseOutages(KafkaBackend kafka, PostgresBackend postgres, LabReport report)
            throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OrderService orders = new OrderService(OutboxFixture.dataSource(), OutboxFixture.writer());
        AtomicBoolean stopInsideTransaction = new AtomicBoolean();
        AtomicBoolean stoppedInsideTransaction = new AtomicBoolean();
        InboxConsumer.Hooks stopBeforeCommit = new InboxConsumer.Hooks() {
            @Override
            public void beforeCommit() {
                if (stopInsideTransaction.compareAndSet(true, false)) {
                    postgres.stop(); // terminates this transaction's session: the commit that follows fails
                    stoppedInsideTransaction.set(true);
                }
            }
        };
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicBoolean consuming = new AtomicBoolean(true);
        AtomicLong placed = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        ReentrantLock betweenPolls = new ReentrantLock();
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic);
             RelayRunner relay = OutboxFixture.runner(kafka, topic, "relay")) {
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "db-outage", stopBeforeCommit);
            Future<?> writer = executor.submit(() -> {
                while (writing.get()) {
                    try {
                        orders.place(Order.create("customer-" + placed.get() % 97, 100));
                        placed.incrementAndGet();
                    } catch (SQLException e) {
                        refused.incrementAndGet(); // the database is down: not placed, or placed with an unknown outcome
                    }
                    Thread.sleep(2);
                }
                return null;
            });
            Future<?> consumerLoop = executor.submit(() -> {
                while (consuming.get()) {
                    betweenPolls.lock();
                    try {
                        consumer.pollOnce(Duration.ofMillis(100));
                    } catch (SQLException | KafkaException e) {
                        // The database is away: the poll was rewound and is delivered again.
                    } finally {
                        betweenPolls.unlock();
                    }
                }
                return null;
            });
            boolean flowingBefore = applied(200);

            // Outage 1, between polls: the consumer waits while the relay publishes more, then polls records it cannot apply.
            long failedBefore = consumer.failedPolls();
            boolean backlogInKafka;
            betweenPolls.lock();
            try {
                long published = relay.relay().published();
                backlogInKafka = OutboxFixture.eventually(WAIT, Duration.ofMillis(10), () -> relay.relay().published() >= published + 100);
                postgres.stop();
            } finally {
                betweenPolls.unlock();
            }
            long stoppedAt = System.nanoTime();
            boolean failedBetweenPolls = OutboxFixture.eventually(WAIT, Duration.ofMillis(10), () -> consumer.failedPolls() > failedBefore);
            sleepUntil(stoppedAt + DOWN_AT_LEAST.toNanos());
            postgres.start();
            boolean flowingAfterFirst = appliesMore(200);

            // Outage 2, inside a poll's transaction: every record of the poll applied, the commit not yet sent.
            long failedBeforeSecond = consumer.failedPolls();
            stopInsideTransaction.set(true);
            boolean failedInTransaction = OutboxFixture.eventually(WAIT, Duration.ofMillis(10),
                    () -> stoppedInsideTransaction.get() && consumer.failedPolls() > failedBeforeSecond);
            sleepUntil(System.nanoTime() + DOWN_AT_LEAST.toNanos());
            postgres.start();
            boolean flowingAfterSecond = appliesMore(200);

            writing.set(false);
            writer.get(30, TimeUnit.SECONDS);
            // A bounded drain: whatever it leaves undelivered is measured and recorded below, then asserted.
            OutboxFixture.eventually(Duration.ofSeconds(60), Duration.ofMillis(100),
                    () -> OutboxBacklog.of(OutboxFixture.dataSource()).events() == 0 && OutboxFixture.ordersWithoutEffect() == 0);
            consuming.set(false);
            consumerLoop.get(30, TimeUnit.SECONDS);

            long lost = OutboxFixture.ordersWithoutEffect();
            long duplicateEffects = OutboxFixture.duplicateEffects();
            long orderRows = OutboxFixture.count("SELECT count(*) FROM orders");
            report.metric("consumer_db_outage_lost_events", lost, "events",
                    "Committed orders without an effect after the database was stopped under the consumer twice, between polls and inside"
                            + " a poll's transaction (" + orderRows + " orders, relay and writer running).");
            assertThat(flowingBefore && flowingAfterFirst && flowingAfterSecond).as("events flowed before and after each outage").isTrue();
            assertThat(backlogInKafka).as("the relay published records the paused consumer had not polled").isTrue();
            assertThat(failedBetweenPolls).as("a poll failed while the database was stopped between polls").isTrue();
            assertThat(failedInTransaction).as("a poll's transaction failed at its commit").isTrue();
            assertThat(refused).as("orders refused while the database was down").hasPositiveValue();
            assertThat(relay.failedPasses()).as("relay passes that failed while the database was down").isPositive();
            assertThat(orderRows).isGreaterThanOrEqualTo(placed.get());
            assertThat(lost).isZero();
            assertThat(duplicateEffects).isZero();
        } finally {
            writing.set(false);
            consuming.set(false);
            if (!postgres.running()) {
                postgres.start();
            }
            executor.shutdownNow();
        }
    }

    /** Whether the consumer reaches {@code events} distinct applied events: the pipeline is flowing. */
    private static boolean applied(long events) {
        return OutboxFixture.eventually(WAIT, Duration.ofMillis(20), () -> OutboxFixture.appliedEvents() >= events);
    }

    /**
     * Whether the consumer applies {@code more} events beyond those applied now. Right after a restart the count itself may
     * fail for a moment (HikariCP backs off between connection attempts after the outage), so it is read until it answers.
     */
    private static boolean appliesMore(long more) {
        long now = await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                .until(OutboxFixture::appliedEvents, n -> true);
        return applied(now + more);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        TimeUnit.NANOSECONDS.sleep(nanoTime - System.nanoTime());
    }
}
