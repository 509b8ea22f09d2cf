package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.sql.Sql;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The log-based relay: what it publishes (the polling relay's topic, key and headers), in which
 * order, and from where it starts when its slot already exists.
 */
@Lab
class CdcRelayTest {

    private static final int EVENTS = 2_000;
    /** Events committed before the slot exists, in the existing-slot scenario. */
    private static final int BEFORE_SLOT = 300;
    /** Orders placed before PostgreSQL restarts, and again after. */
    private static final int ORDERS_PER_PHASE = 200;

    @Test
    void cdcRelayPublishesEveryInsertInAggregateOrderWithThePollingRelaysKeyAndHeaders(KafkaBackend kafka) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        CdcRelay relay = OutboxFixture.cdcRelay(kafka, topic).build();
        try (KafkaConsumer<String, String> raw = OutboxFixture.consumer(kafka, topic);
             KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic)) {
            relay.start();
            OutboxFixture.writeSequencedEvents(EVENTS);
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "cdc-order");
            OutboxFixture.drain(consumer, EVENTS, Duration.ofSeconds(60));

            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            OutboxFixture.eventually(Duration.ofSeconds(30), Duration.ZERO, () -> {
                raw.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= EVENTS;
            });
            ConsumerRecord<String, String> first = records.getFirst();
            String eventId = new String(first.headers().lastHeader("event_id").value(), StandardCharsets.UTF_8);
            try (Connection connection = OutboxFixture.dataSource().getConnection();
                 PreparedStatement row = connection.prepareStatement(
                         "SELECT aggregate_id, event_type, payload::text FROM outbox WHERE event_id = ?::uuid")) {
                row.setString(1, eventId);
                try (ResultSet result = row.executeQuery()) {
                    assertThat(result.next()).as("the event_id header names an outbox row").isTrue();
                    assertThat(first.key()).isEqualTo(result.getString(1));
                    assertThat(new String(first.headers().lastHeader("event_type").value(), StandardCharsets.UTF_8))
                            .isEqualTo(result.getString(2));
                    assertThat(first.value()).isEqualTo(result.getString(3));
                }
            }
            assertThat(records).hasSize(EVENTS);
            assertThat(relay.published()).isEqualTo(EVENTS);
            assertThat(OutboxFixture.appliedEvents()).isEqualTo(EVENTS);
            assertThat(OutboxFixture.orderViolations()).isZero();
        } finally {
            OutboxFixture.closeAndDropSlot(relay);
        }
    }

    /**
     * Mid-stream, with orders flowing: the relay dies after Kafka acknowledged a batch and before its
     * offsets were committed (the hook throws, the engine stops). A new relay on the same slot and
     * offset file resumes from the last committed offset: everything since is sent again, and the
     * inbox absorbs it.
     */
    @Test
    void cdcRelayKilledMidStreamAndRestartedLosesNothingAndTheInboxAbsorbsTheRedeliveries(KafkaBackend kafka, LabReport report)
            throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        Path offsets = Files.createTempDirectory("cdc-restart-").resolve("offsets.dat");
        AtomicBoolean armed = new AtomicBoolean();
        CdcRelay.Hooks dieAfterAcks = new CdcRelay.Hooks() {
            @Override
            public void afterAcks(List<PendingEvent> published) {
                if (armed.compareAndSet(true, false)) {
                    throw new IllegalStateException("relay process killed after the acks, before its offsets");
                }
            }
        };
        CdcRelay first = OutboxFixture.cdcRelay(kafka, topic).offsets(offsets).hooks(dieAfterAcks).build();
        CdcRelay restarted = OutboxFixture.cdcRelay(kafka, topic).slot(first.slot()).offsets(offsets).build();
        OrderService orders = new OrderService(OutboxFixture.dataSource(), OutboxFixture.writer());
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic)) {
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "cdc-restart");
            long placed;
            first.start(); // before the first order: an insert committed before the slot exists is in no slot
            try (OutboxFixture.Traffic traffic = new OutboxFixture.Traffic(orders, consumer)) {
                OutboxFixture.eventually(Duration.ofSeconds(30), Duration.ofMillis(50), () -> traffic.placed() > 1_000);
                armed.set(true); // the next batch Kafka acknowledges is the last this relay does
                boolean died = first.awaitStopped(Duration.ofSeconds(30));
                first.close();
                assertThat(died).as("the killed relay's engine stopped").isTrue();
                Thread.sleep(1_000); // the relay is down; orders keep coming, and the slot keeps them
                restarted.start();
                Thread.sleep(2_000); // the restarted relay catches up while orders keep coming
                placed = traffic.stopWriting();
                OutboxFixture.eventually(Duration.ofSeconds(60), Duration.ofMillis(100), () -> OutboxFixture.ordersWithoutEffect() == 0);
            }
            long lost = OutboxFixture.ordersWithoutEffect();
            report.metric("cdc_restart_lost_events", lost, "events",
                    "Committed orders without an effect at the consumer after the CDC relay was killed between Kafka's acks and its"
                            + " offset commit and restarted on the same slot and offsets, orders flowing throughout (" + placed
                            + " orders).");
            report.metric("cdc_restart_redeliveries", consumer.duplicates(), "records",
                    "Records the consumer received a second time after the CDC relay was killed between Kafka's acks and its offset"
                            + " commit (1 s flush interval) and restarted on the same slot and offsets; the inbox skipped them.");
            assertThat(first.engineError()).as("the first relay died of the kill").isPresent();
            assertThat(lost).as("orders without an effect").isZero();
            assertThat(OutboxFixture.count("SELECT count(*) FROM orders")).isEqualTo(placed);
            assertThat(OutboxFixture.duplicateEffects()).as("effects applied twice").isZero();
            assertThat(OutboxFixture.orderViolations()).isZero();
            assertThat(consumer.duplicates()).as("redeliveries the inbox absorbed").isPositive();
        } finally {
            restarted.close();
            OutboxFixture.closeAndDropSlot(first);
        }
    }

    /**
     * PostgreSQL restarts under a running CDC relay. The replication slot is stored on the server's
     * disk and survives; the connector's replication connection breaks, and Debezium, which counts a
     * lost connection as retriable, restarts its task and streams again from the last committed
     * offset. The orders committed before the restart and after it each get one effect, and the
     * relay never reports an engine error.
     */
    @Test
    void cdcRelayResumesFromItsSlotWhenPostgresRestartsUnderIt(KafkaBackend kafka, PostgresBackend postgres) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        CdcRelay relay = OutboxFixture.cdcRelay(kafka, topic).build();
        OrderService orders = new OrderService(OutboxFixture.dataSource(), OutboxFixture.writer());
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic)) {
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "cdc-postgres-restart");
            relay.start();
            place(orders, ORDERS_PER_PHASE);
            boolean appliedBefore = OutboxFixture.drain(consumer, ORDERS_PER_PHASE, Duration.ofSeconds(60));

            postgres.stop();
            postgres.start();
            OutboxFixture.dataSource().getHikariPoolMXBean().softEvictConnections(); // the pool's sessions died with the server
            Optional<CdcRelay.SlotState> slotAfterRestart = relay.slotState();
            place(orders, ORDERS_PER_PHASE);
            OutboxFixture.drain(consumer, 2L * ORDERS_PER_PHASE, Duration.ofSeconds(60));

            assertThat(appliedBefore).as("the orders before the restart were applied").isTrue();
            assertThat(slotAfterRestart).as("the slot after the restart").isPresent();
            assertThat(relay.engineError()).as("the engine kept running across the restart").isEmpty();
            assertThat(OutboxFixture.count("SELECT count(*) FROM orders")).isEqualTo(2L * ORDERS_PER_PHASE);
            assertThat(OutboxFixture.ordersWithoutEffect()).as("orders without an effect").isZero();
            assertThat(OutboxFixture.duplicateEffects()).as("effects applied twice").isZero();
        } finally {
            OutboxFixture.closeAndDropSlot(relay);
        }
    }

    private static void place(OrderService orders, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            orders.place(Order.create("customer-" + i % 97, 100 + i));
        }
    }

    /**
     * The slot (and its publication) were made before the relay's first start — by an operator, or
     * by a relay whose offset file is gone — and events were committed before and after. The relay
     * adopts the slot — no error, no second slot — and publishes exactly what the slot holds: every
     * insert since its creation, and none from before it (those rows are in the table, but not in
     * the slot's log). The publication must exist before the slot's changes are decoded: pgoutput
     * decides membership as of each change, so inserts made before {@code CREATE PUBLICATION} are
     * never published (the relay's {@link CdcRelay#prepare()} creates the publication first).
     */
    @Test
    void aSlotThatAlreadyExistsAtStartIsAdoptedAndDeliversWhatItHeld(KafkaBackend kafka) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        CdcRelay relay = OutboxFixture.cdcRelay(kafka, topic).build();
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic)) {
            OutboxFixture.writeSequencedEvents(BEFORE_SLOT);
            // What a previous deployment left: its publication (before the slot: pgoutput decides membership as of each change)
            // and its slot, but no offset file.
            Sql.execute(OutboxFixture.dataSource(), "CREATE PUBLICATION " + relay.slot() + " FOR TABLE outbox WITH (publish = 'insert')");
            Sql.execute(OutboxFixture.dataSource(), "SELECT pg_create_logical_replication_slot(?, 'pgoutput')", relay.slot());
            OutboxFixture.writeSequencedEvents(EVENTS);
            long slots = OutboxFixture.count("SELECT count(*) FROM pg_replication_slots");

            relay.start();
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "cdc-existing-slot");
            OutboxFixture.drain(consumer, EVENTS, Duration.ofSeconds(60));
            consumer.pollOnce(Duration.ofMillis(500)); // anything beyond the slot's events would arrive now

            assertThat(relay.engineError()).isEmpty();
            assertThat(OutboxFixture.count("SELECT count(*) FROM pg_replication_slots")).as("no second slot").isEqualTo(slots);
            assertThat(OutboxFixture.appliedEvents()).as("every insert since the slot's creation, none before").isEqualTo(EVENTS);
            assertThat(OutboxFixture.count("SELECT count(*) FROM effects e JOIN outbox o USING (event_id) WHERE o.id <= " + BEFORE_SLOT))
                    .isZero();
        } finally {
            OutboxFixture.closeAndDropSlot(relay);
        }
    }

    @Test
    void aSlotWithoutItsPublicationIsRefusedInsteadOfSkippingWhatItHeld(KafkaBackend kafka) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        CdcRelay relay = OutboxFixture.cdcRelay(kafka, topic).build();
        try {
            Sql.execute(OutboxFixture.dataSource(), "SELECT pg_create_logical_replication_slot(?, 'pgoutput')", relay.slot());
            OutboxFixture.writeSequencedEvents(BEFORE_SLOT);

            assertThatThrownBy(relay::start).isInstanceOf(PublicationMissingException.class)
                    .hasMessageContaining(relay.slot()).hasMessageContaining("does not");
            assertThat(relay.engineError()).isEmpty();
            assertThat(OutboxFixture.count("SELECT count(*) FROM pg_publication WHERE pubname = '" + relay.slot() + "'"))
                    .as("no publication created behind the slot's back").isZero();
        } finally {
            OutboxFixture.closeAndDropSlot(relay);
        }
    }
}
