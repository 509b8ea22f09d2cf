package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
 * transaction committed; several relays at once over 10,000 events on 100 aggregates; the same
 * forced stall for two naive SKIP LOCKED relays and for two partition-owning relays; and a row
 * locked by a foreign transaction in the middle of a partition.
 */
@Lab
class RelayTest {

    private static final int EVENTS = 10_000;
    /**
     * 4,000 events on 100 aggregates (40 each). The first partition with rows holds 3 aggregates
     * (String.hashCode of "acct-0".."acct-99" mod 16 puts 3 to 10 in each partition): 120 rows, so the
     * stalled relay's batch of 100 leaves a second batch that another relay could take out of turn.
     * The naive relays' first two batches are every aggregate's events 1 and 2.
     */
    private static final int STALL_EVENTS = 4_000;
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);

    @Test
    void relayKilledBetweenAcksAndCommitRedeliversAndTheInboxAbsorbsIt(KafkaBackend kafka, LabReport report) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        int events = 500;
        OutboxFixture.writeSequencedEvents(events);
        AtomicBoolean crashed = new AtomicBoolean();
        BatchRelay.Hooks dieAfterAcks = new BatchRelay.Hooks() {
            @Override
            public void afterAcks(List<PendingEvent> published) throws SQLException {
                if (crashed.compareAndSet(false, true)) {
                    throw new SQLException("relay process killed after the acks, before commit");
                }
            }
        };
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic);
             OutboxRelay dying = OutboxFixture.relay(kafka, topic).ackTimeout(ACK_TIMEOUT).hooks(dieAfterAcks).build();
             OutboxRelay restarted = OutboxFixture.relay(kafka, topic).ackTimeout(ACK_TIMEOUT).build()) {
            try {
                dying.publishBatch();
            } catch (SQLException expected) {
                // The crash: Kafka has the batch, the outbox still has it too.
            }
            while (restarted.publishBatch() > 0) {
                // drain
            }

            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "crash");
            OutboxFixture.drain(consumer, events, Duration.ofSeconds(60));
            consumer.pollOnce(Duration.ofMillis(500));

            report.metric("consumer_duplicate_deliveries", consumer.duplicates(), "records",
                    "Records the consumer received a second time after a relay died between the acks and the commit;"
                            + " the inbox skipped them.");
            assertThat(crashed).isTrue();
            assertThat(OutboxFixture.duplicateEffects()).as("effects applied twice").isZero();
            assertThat(OutboxFixture.appliedEvents()).isEqualTo(events);
            assertThat(OutboxFixture.count("SELECT count(*) FROM outbox")).isZero();
            assertThat(consumer.duplicates()).as("redeliveries the inbox skipped").isPositive();
        }
    }

    @Test
    void twoAndFourRelaysKeepEveryAggregateInOrder(KafkaBackend kafka, LabReport report) throws Exception {
        long violations = 0;
        List<String> problems = new ArrayList<>();
        for (int relays : new int[] {2, 4}) {
            String topic = OutboxFixture.freshTopic(kafka);
            OutboxFixture.writeSequencedEvents(EVENTS);
            List<OutboxRelay> workers = new ArrayList<>();
            try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic)) {
                for (int i = 0; i < relays; i++) {
                    workers.add(OutboxFixture.relay(kafka, topic).ackTimeout(ACK_TIMEOUT).build());
                }
                OutboxFixture.runUntilEmpty(workers);
                InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "order-" + relays);
                OutboxFixture.drain(consumer, EVENTS, Duration.ofSeconds(120));

                violations += OutboxFixture.orderViolations();
                long delivered = OutboxFixture.appliedEvents();
                if (delivered != EVENTS) {
                    problems.add(relays + " relays delivered " + delivered + " of " + EVENTS);
                }
                if (!workers.stream().allMatch(worker -> worker.published() > 0)) {
                    problems.add("with " + relays + " relays, one relay published nothing");
                }
            } finally {
                workers.forEach(BatchRelay::close);
            }
        }
        report.metric("outbox_order_violations", violations, "events",
                "Per-aggregate order violations at the consumer with 2 and then 4 partition-owning relays, " + EVENTS + " events on "
                        + OutboxFixture.AGGREGATES + " aggregates each.");
        assertThat(problems).isEmpty();
        assertThat(violations).isZero();
    }

    @Test
    void twoSkipLockedRelaysReorderAnAggregateWhenOneStalls(KafkaBackend kafka, LabReport report) throws Exception {
        StallOutcome outcome = stallWhileTheOtherRelayRuns(kafka, "naive",
                (topic, hooks) -> new SkipLockedRelay(OutboxFixture.dataSource(), OutboxFixture.producers(kafka), topic, 100, ACK_TIMEOUT,
                        hooks));

        report.metric("naive_multi_relay_order_violations", outcome.violations(), "events",
                "Per-aggregate order violations when two SKIP LOCKED relays share the outbox and the one holding the oldest batch stalls"
                        + " until the other has published (fixed by construction: one per aggregate).");
        assertThat(outcome.delivered()).isEqualTo(STALL_EVENTS);
        assertThat(outcome.otherRelayPublished()).as("the other relay published during the stall").isPositive();
        assertThat(outcome.violations()).isPositive();
    }

    @Test
    void twoOutboxRelaysKeepOrderWhenOneStalls(KafkaBackend kafka, LabReport report) throws Exception {
        StallOutcome outcome = stallWhileTheOtherRelayRuns(kafka, "stalled",
                (topic, hooks) -> OutboxFixture.relay(kafka, topic).ackTimeout(ACK_TIMEOUT).hooks(hooks).build());

        report.metric("outbox_order_violations_adversarial", outcome.violations(), "events",
                "Per-aggregate order violations when two partition-owning relays share the outbox and the one holding the oldest batch"
                        + " stalls until the other has published: the schedule that reorders the naive relays.");
        assertThat(outcome.delivered()).isEqualTo(STALL_EVENTS);
        assertThat(outcome.otherRelayPublished()).as("the other relay published during the stall").isPositive();
        assertThat(outcome.violations()).isZero();
    }

    @Test
    void relayKeepsOrderUnderAForeignRowLock(KafkaBackend kafka) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OutboxFixture.writeSequencedEvents(STALL_EVENTS);
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic);
             OutboxRelay relay = OutboxFixture.relay(kafka, topic).ackTimeout(ACK_TIMEOUT).build();
             Connection foreign = OutboxFixture.dataSource().getConnection()) {
            // A cleanup job, or an old relay build in a rolling deploy, holds the oldest row of a partition.
            foreign.setAutoCommit(false);
            int partition;
            try (Statement statement = foreign.createStatement();
                 ResultSet oldest = statement.executeQuery("SELECT partition_no FROM outbox ORDER BY id LIMIT 1 FOR UPDATE")) {
                oldest.next();
                partition = oldest.getInt(1);
            }
            long rowsInPartition = OutboxFixture.count("SELECT count(*) FROM outbox WHERE partition_no = " + partition);

            while (relay.publishBatch() > 0) {
                // everything it can take
            }
            long leftInPartition = OutboxFixture.count("SELECT count(*) FROM outbox WHERE partition_no = " + partition);
            long leftElsewhere = OutboxFixture.count("SELECT count(*) FROM outbox WHERE partition_no <> " + partition);
            foreign.rollback();
            while (relay.publishBatch() > 0) {
                // the partition, now that its oldest row is free
            }
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "foreign-lock");
            OutboxFixture.drain(consumer, STALL_EVENTS, Duration.ofSeconds(60));

            assertThat(leftInPartition).as("rows of the partition published while its oldest row was locked").isEqualTo(rowsInPartition);
            assertThat(leftElsewhere).as("the other partitions were served meanwhile").isZero();
            assertThat(relay.rowLockConflicts()).isPositive();
            assertThat(OutboxFixture.appliedEvents()).isEqualTo(STALL_EVENTS);
            assertThat(OutboxFixture.orderViolations()).isZero();
            assertThat(OutboxFixture.count("SELECT count(*) FROM outbox")).isZero();
        }
    }

    /**
     * A trickle: 2 events per aggregate, 10 to 20 in each partition, all fitting one batch. A foreign
     * lock on the oldest row of the partition that the round robin reaches last — so the relay meets
     * it holding other partitions' rows, under a savepoint. One pass takes every other partition's
     * rows, none of the locked one's, and keeps what it claimed.
     */
    @Test
    void onePassGathersEveryPartitionButTheOneUnderAForeignLock(KafkaBackend kafka) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        int events = 2 * OutboxFixture.AGGREGATES;
        OutboxFixture.writeSequencedEvents(events);
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic);
             OutboxRelay relay = OutboxFixture.relay(kafka, topic).batchSize(events).ackTimeout(ACK_TIMEOUT).build();
             Connection foreign = OutboxFixture.dataSource().getConnection()) {
            int last = Math.toIntExact(OutboxFixture.count("SELECT max(partition_no) FROM outbox"));
            long rowsInLast = OutboxFixture.count("SELECT count(*) FROM outbox WHERE partition_no = " + last);
            foreign.setAutoCommit(false);
            try (Statement statement = foreign.createStatement()) {
                statement.executeQuery("SELECT id FROM outbox WHERE partition_no = " + last + " ORDER BY id LIMIT 1 FOR UPDATE").close();
            }

            int firstPass = relay.publishBatch();
            long partitionsLeft = OutboxFixture.count("SELECT count(DISTINCT partition_no) FROM outbox");
            foreign.rollback();
            int secondPass = relay.publishBatch();
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "trickle");
            OutboxFixture.drain(consumer, events, Duration.ofSeconds(60));

            assertThat(OutboxFixture.count("SELECT count(DISTINCT partition_no) FROM outbox")).isZero();
            assertThat(firstPass).as("one pass took every partition but the locked one").isEqualTo(events - rowsInLast);
            assertThat(partitionsLeft).isEqualTo(1);
            assertThat(relay.rowLockConflicts()).isEqualTo(1);
            assertThat(secondPass).isEqualTo(rowsInLast);
            assertThat(OutboxFixture.appliedEvents()).isEqualTo(events);
            assertThat(OutboxFixture.orderViolations()).isZero();
        }
    }

    /** Makes one of the two relays of a scenario, on {@code topic}, carrying {@code hooks}. */
    @FunctionalInterface
    private interface RelayFactory {
        BatchRelay create(String topic, BatchRelay.Hooks hooks) throws SQLException;
    }

    private record StallOutcome(long violations, long delivered, int otherRelayPublished) {
    }

    /**
     * The same adversarial schedule for any relay: two relays carry the same hook, and the one that
     * claims first (the oldest batch) stalls until the other relay's pass has returned — published
     * or found nothing it could take. The rest is drained by one relay, so every violation comes
     * from the stall.
     */
    private static StallOutcome stallWhileTheOtherRelayRuns(KafkaBackend kafka, String consumerName, RelayFactory relays) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OutboxFixture.writeSequencedEvents(STALL_EVENTS);
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch otherPassReturned = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean();
        BatchRelay.Hooks stallFirstClaim = new BatchRelay.Hooks() {
            @Override
            public void afterClaim(List<PendingEvent> claimed) throws InterruptedException {
                // A GC pause or a slow ack: this relay holds the oldest batch while the other one carries on.
                if (first.compareAndSet(false, true)) {
                    stalled.countDown();
                    otherPassReturned.await(30, TimeUnit.SECONDS);
                }
            }
        };
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic);
             BatchRelay slow = relays.create(topic, stallFirstClaim);
             BatchRelay other = relays.create(topic, stallFirstClaim)) {
            Future<Integer> slowPass = executor.submit(slow::publishBatch);
            assertThat(stalled.await(30, TimeUnit.SECONDS)).as("the first relay reached its stall").isTrue();
            int otherPublished;
            try {
                otherPublished = other.publishBatch();
            } finally {
                otherPassReturned.countDown();
            }
            slowPass.get(60, TimeUnit.SECONDS);
            OutboxFixture.runUntilEmpty(List.of(slow));

            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, consumerName);
            OutboxFixture.drain(consumer, STALL_EVENTS, Duration.ofSeconds(60));
            return new StallOutcome(OutboxFixture.orderViolations(), OutboxFixture.appliedEvents(), otherPublished);
        } finally {
            executor.shutdownNow();
        }
    }
}
