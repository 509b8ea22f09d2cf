package dev.backendlabs.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;

/**
 * THE PATTERN, read side: the relay delivers at least once, so a consumer must make a second
 * delivery harmless. For each record the event id goes into the {@code inbox}
 * ({@code ON CONFLICT DO NOTHING}) and, only if that inserted a row, the effect is applied — both
 * in one database transaction per poll, so a batch of records costs one commit. Offsets are
 * committed to Kafka after the database commits: a crash in between redelivers records whose
 * effects exist, and the inbox turns them into no-ops. A failure before the database commit rolls
 * the whole poll back and seeks the consumer back to the poll's first records, so the next poll
 * delivers them again instead of moving past them.
 *
 * <p>"At least once + inbox = effectively once" holds for effects in this database only. An email
 * sent or an HTTP call made from the handler is outside the transaction and can still happen twice.
 */
public final class InboxConsumer {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final Consumer<String, String> consumer;
    private final String name;
    private final LongAdder deliveries = new LongAdder();
    private final LongAdder duplicates = new LongAdder();

    public InboxConsumer(DataSource dataSource, Consumer<String, String> consumer, String name) {
        this.dataSource = dataSource;
        this.consumer = consumer;
        this.name = name;
    }

    /** Polls once, applies every record in one transaction, commits it, then commits the offsets. */
    public int pollOnce(Duration timeout) throws SQLException {
        ConsumerRecords<String, String> records = consumer.poll(timeout);
        if (records.isEmpty()) {
            return 0;
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement inbox = connection.prepareStatement(
                    "INSERT INTO inbox (consumer, event_id) VALUES (?, ?) ON CONFLICT DO NOTHING");
                 PreparedStatement effect = connection.prepareStatement(
                         "INSERT INTO effects (event_id, aggregate_id, sequence_no) VALUES (?, ?, ?)")) {
                for (ConsumerRecord<String, String> record : records) {
                    apply(inbox, effect, record);
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                rewind(records);
                throw e;
            }
        }
        deliveries.add(records.count());
        consumer.commitSync();
        return records.count();
    }

    /** Moves every polled partition back to this poll's first record, so nothing is skipped. */
    private void rewind(ConsumerRecords<String, String> records) {
        for (TopicPartition partition : records.partitions()) {
            consumer.seek(partition, records.records(partition).getFirst().offset());
        }
    }

    private void apply(PreparedStatement inbox, PreparedStatement effect, ConsumerRecord<String, String> record) throws SQLException {
        UUID eventId = eventId(record);
        inbox.setString(1, name);
        inbox.setObject(2, eventId);
        if (inbox.executeUpdate() == 0) {
            duplicates.increment();
            return;
        }
        effect.setObject(1, eventId);
        effect.setString(2, record.key());
        Long sequence = sequence(record.value());
        if (sequence == null) {
            effect.setNull(3, java.sql.Types.BIGINT);
        } else {
            effect.setLong(3, sequence);
        }
        effect.executeUpdate();
    }

    private static UUID eventId(ConsumerRecord<String, String> record) {
        Header header = record.headers().lastHeader("event_id");
        if (header == null) {
            throw new IllegalStateException("Record at " + record.topic() + "-" + record.partition() + "@" + record.offset() + " has no event_id header");
        }
        return UUID.fromString(new String(header.value(), StandardCharsets.UTF_8));
    }

    /** The per-aggregate sequence number some lab events carry ({@code "seq"}), for order checks. */
    private static Long sequence(String payload) {
        try {
            JsonNode seq = JSON.readTree(payload).get("seq");
            return seq == null ? null : seq.asLong();
        } catch (IOException e) {
            throw new UncheckedIOException("Payload is not JSON", e);
        }
    }

    /** Records received, including redeliveries. */
    public long deliveries() {
        return deliveries.sum();
    }

    /** Records whose event id was already in the inbox: redeliveries the inbox absorbed. */
    public long duplicates() {
        return duplicates.sum();
    }
}
