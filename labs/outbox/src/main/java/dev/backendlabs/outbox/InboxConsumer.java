package dev.backendlabs.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;

/**
 * THE PATTERN, read side: the relay delivers at least once, so a consumer must make a second
 * delivery harmless. For each record the event id goes into the {@code inbox}
 * ({@code ON CONFLICT DO NOTHING}) and, only if that inserted a row, the effect is applied — in one
 * database transaction per poll, so a batch of records costs one commit. Then the offsets of what
 * the transaction handled are committed to Kafka, explicitly per partition (last offset + 1), never
 * "wherever the consumer is now". A crash between the two commits redelivers records whose effects
 * exist, and the inbox turns them into no-ops.
 *
 * <h2>A failed poll is rewound before anything else</h2>
 * {@code poll()} has already moved the consumer past the records it returned. If anything fails
 * before the database commit — no connection from the pool, a broken connection, a failed commit or
 * rollback — the consumer is moved back ({@code seek}) to the poll's first record of every
 * partition, so the next poll delivers them again. The rewind is the outermost handler of the whole
 * transaction, so no later failure (the rollback of a dead connection, closing it) can skip it; had
 * it been skipped, the next successful poll would commit offsets beyond records never applied.
 *
 * <h2>A poison record is dead-lettered, not retried forever</h2>
 * A record that can never be applied — no {@code event_id} header, one that is not a UUID, a
 * payload that is not a JSON object, a key or value the effect's columns refuse — would fail every
 * retry and block every partition of this consumer. Each record is applied under its own savepoint
 * inside the poll's transaction: an unreadable record, or one whose statements fail with a data or
 * constraint error (SQLSTATE class 22 or 23, caused by the record itself), is rolled back to its
 * savepoint, written to {@code dead_letters} with its error, and stepped over. Any other failure
 * (the database away, a serialization failure) is not the record's fault: the poll fails and is
 * rewound.
 *
 * <h2>The consumer name is the logical consumer</h2>
 * The inbox key is {@code (consumer, event_id)}. {@code name} must be the logical consumer — its
 * consumer group, the same for every instance — not an instance or host name: after a rebalance
 * another instance receives the same records, and only a shared name lets it find them in the inbox.
 *
 * <p>"At least once + inbox = effectively once" holds for effects in this database only. An email
 * sent or an HTTP call made from the handler is outside the transaction and can still happen twice.
 * An instance is used from one thread, like the Kafka consumer it wraps.
 */
public final class InboxConsumer {

    /** A point where a test can break the database in the middle of a poll's transaction. */
    public interface Hooks {

        /** No hooks: what production code passes. */
        Hooks NONE = new Hooks() { };

        /** Every record of the poll is handled in the open transaction, which is about to commit. */
        default void beforeCommit() throws SQLException {
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(InboxConsumer.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String EVENT_ID = "event_id";

    private final DataSource dataSource;
    private final Consumer<String, String> consumer;
    private final String name;
    private final Hooks hooks;
    private final LongAdder deliveries = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();
    private final LongAdder failedPolls = new LongAdder();

    /** @param name the logical consumer (its group), the same on every instance: the inbox's key */
    public InboxConsumer(DataSource dataSource, Consumer<String, String> consumer, String name) {
        this(dataSource, consumer, name, Hooks.NONE);
    }

    public InboxConsumer(DataSource dataSource, Consumer<String, String> consumer, String name, Hooks hooks) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("consumer: name must be the logical consumer's name, got '" + name + "'");
        }
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.name = name;
        this.hooks = Objects.requireNonNull(hooks, "hooks");
    }

    /**
     * Polls once, handles every record in one transaction, commits it, then commits the offsets of
     * what it handled.
     *
     * @return the records handled (applied, skipped as redeliveries, or dead-lettered)
     * @throws SQLException if the database failed; the consumer was rewound to the poll's first records
     */
    public int pollOnce(Duration timeout) throws SQLException {
        ConsumerRecords<String, String> records = consumer.poll(timeout);
        if (records.isEmpty()) {
            return 0;
        }
        Outcome outcome;
        try {
            outcome = handleInOneTransaction(records);
        } catch (SQLException | RuntimeException | Error e) {
            rewind(records);
            failedPolls.increment();
            throw e;
        }
        deliveries.add(records.count());
        duplicates.add(outcome.duplicates());
        deadLettered.add(outcome.deadLetters().size());
        outcome.deadLetters().forEach(record -> LOG.warn("consumer {}: dead-lettered {}", name, record));
        consumer.commitSync(outcome.offsets());
        return records.count();
    }

    /** What one committed transaction did: the offsets to commit, redeliveries skipped, the records dead-lettered and why. */
    private record Outcome(Map<TopicPartition, OffsetAndMetadata> offsets, int duplicates, List<String> deadLetters) {
    }

    private Outcome handleInOneTransaction(ConsumerRecords<String, String> records) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (Statements statements = new Statements(connection)) {
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                int duplicateCount = 0;
                for (TopicPartition partition : records.partitions()) {
                    List<ConsumerRecord<String, String>> batch = records.records(partition);
                    for (ConsumerRecord<String, String> record : batch) {
                        if (handle(statements, record) == Handled.DUPLICATE) {
                            duplicateCount++;
                        }
                    }
                    offsets.put(partition, new OffsetAndMetadata(batch.getLast().offset() + 1));
                }
                hooks.beforeCommit();
                connection.commit();
                return new Outcome(offsets, duplicateCount, statements.deadLetters);
            } catch (SQLException | RuntimeException e) {
                rollback(connection, e);
                throw e;
            }
        }
    }

    private enum Handled { APPLIED, DUPLICATE, DEAD_LETTERED }

    private Handled handle(Statements statements, ConsumerRecord<String, String> record) throws SQLException {
        Event event;
        try {
            event = Event.read(record);
        } catch (UnreadableRecordException e) {
            return deadLetter(statements, record, e.getMessage());
        }
        Savepoint savepoint = statements.connection.setSavepoint();
        try {
            boolean applied = apply(statements, event);
            statements.connection.releaseSavepoint(savepoint);
            return applied ? Handled.APPLIED : Handled.DUPLICATE;
        } catch (SQLException e) {
            if (!causedByTheRecord(e)) {
                throw e;
            }
            statements.connection.rollback(savepoint);
            return deadLetter(statements, record, e.getMessage());
        }
    }

    /** Inserts the event id into the inbox and, if it was not there, applies the effect; false for a redelivery. */
    private boolean apply(Statements statements, Event event) throws SQLException {
        statements.inbox.setString(1, name);
        statements.inbox.setObject(2, event.id());
        if (statements.inbox.executeUpdate() == 0) {
            return false;
        }
        statements.effect.setObject(1, event.id());
        statements.effect.setString(2, event.aggregateId());
        if (event.sequence() == null) {
            statements.effect.setNull(3, Types.BIGINT);
        } else {
            statements.effect.setLong(3, event.sequence());
        }
        statements.effect.executeUpdate();
        return true;
    }

    /** Data exceptions (22xxx) and integrity violations (23xxx) come from the record's values: retrying cannot help. */
    private static boolean causedByTheRecord(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    /** Writes the record to {@code dead_letters}; a redelivered poison record is already there and counts as a duplicate. */
    private Handled deadLetter(Statements statements, ConsumerRecord<String, String> record, String error) throws SQLException {
        PreparedStatement insert = statements.deadLetter;
        insert.setString(1, name);
        insert.setString(2, record.topic());
        insert.setInt(3, record.partition());
        insert.setLong(4, record.offset());
        insert.setString(5, printable(error));
        insert.setBytes(6, record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8));
        insert.setBytes(7, record.value() == null ? null : record.value().getBytes(StandardCharsets.UTF_8));
        insert.setBytes(8, headers(record));
        if (insert.executeUpdate() == 0) {
            return Handled.DUPLICATE;
        }
        statements.deadLetters.add(record.topic() + "-" + record.partition() + "@" + record.offset() + " (" + error + ")");
        return Handled.DEAD_LETTERED;
    }

    /** The record's headers as {@code name: value} lines, values as raw bytes. */
    private static byte[] headers(ConsumerRecord<String, String> record) {
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        for (Header header : record.headers()) {
            lines.writeBytes((header.key() + ": ").getBytes(StandardCharsets.UTF_8));
            if (header.value() != null) {
                lines.writeBytes(header.value());
            }
            lines.write('\n');
        }
        return lines.toByteArray();
    }

    /** A text column refuses NUL characters, which a broken record can carry into an error message. */
    private static String printable(String text) {
        return String.valueOf(text).replace('\u0000', '\uFFFD');
    }

    /** Moves every polled partition this consumer still owns back to this poll's first record, so nothing is skipped. */
    private void rewind(ConsumerRecords<String, String> records) {
        for (TopicPartition partition : records.partitions()) {
            if (consumer.assignment().contains(partition)) {
                consumer.seek(partition, records.records(partition).getFirst().offset());
            }
        }
    }

    private static void rollback(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e); // a dead connection cannot roll back; the server does when the session ends
        }
    }

    /** Records received, including redeliveries and dead-lettered ones, in polls whose transaction committed. */
    public long deliveries() {
        return deliveries.sum();
    }

    /** Records whose event id was already in the inbox: redeliveries the inbox absorbed. */
    public long duplicates() {
        return duplicates.sum();
    }

    /** Records that could never be applied and went to {@code dead_letters}: alert on any. */
    public long deadLettered() {
        return deadLettered.sum();
    }

    /** Polls whose transaction failed and that were rewound to be delivered again. */
    public long failedPolls() {
        return failedPolls.sum();
    }

    /** The fields of a record the inbox needs; reading them is where a poison record is recognized. */
    private record Event(UUID id, String aggregateId, Long sequence) {

        static Event read(ConsumerRecord<String, String> record) throws UnreadableRecordException {
            return new Event(eventId(record), record.key(), sequence(record.value()));
        }

        private static UUID eventId(ConsumerRecord<String, String> record) throws UnreadableRecordException {
            Header header = record.headers().lastHeader(EVENT_ID);
            if (header == null || header.value() == null) {
                throw new UnreadableRecordException("no " + EVENT_ID + " header");
            }
            String text = new String(header.value(), StandardCharsets.UTF_8);
            try {
                return UUID.fromString(text);
            } catch (IllegalArgumentException e) {
                throw new UnreadableRecordException(EVENT_ID + " header '" + text + "' is not a UUID");
            }
        }

        /** The per-aggregate sequence number some lab events carry ({@code "seq"}), for order checks. */
        private static Long sequence(String payload) throws UnreadableRecordException {
            if (payload == null) {
                throw new UnreadableRecordException("no payload");
            }
            JsonNode event;
            try {
                event = JSON.readTree(payload);
            } catch (JsonProcessingException e) {
                throw new UnreadableRecordException("payload is not JSON: " + e.getOriginalMessage());
            }
            if (!event.isObject()) {
                throw new UnreadableRecordException("payload is not a JSON object");
            }
            JsonNode seq = event.get("seq");
            if (seq == null) {
                return null;
            }
            if (!seq.isIntegralNumber() || !seq.canConvertToLong()) {
                throw new UnreadableRecordException("payload field seq is not an integer: " + seq);
            }
            return seq.longValue();
        }
    }

    /** A record that can never be applied, however often it is delivered. */
    private static final class UnreadableRecordException extends Exception {

        private static final long serialVersionUID = 1L;

        UnreadableRecordException(String message) {
            super(message, null, false, false);
        }
    }

    /** The poll transaction's prepared statements, and the records it dead-lettered (logged once it commits). */
    private static final class Statements implements AutoCloseable {

        final Connection connection;
        final PreparedStatement inbox;
        final PreparedStatement effect;
        final PreparedStatement deadLetter;
        final List<String> deadLetters = new ArrayList<>();

        Statements(Connection connection) throws SQLException {
            this.connection = connection;
            this.inbox = connection.prepareStatement("INSERT INTO inbox (consumer, event_id) VALUES (?, ?) ON CONFLICT DO NOTHING");
            this.effect = connection.prepareStatement("INSERT INTO effects (event_id, aggregate_id, sequence_no) VALUES (?, ?, ?)");
            this.deadLetter = connection.prepareStatement("INSERT INTO dead_letters (consumer, topic, partition_no, record_offset, error,"
                    + " record_key, record_value, headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
        }

        @Override
        public void close() throws SQLException {
            try (inbox; effect; deadLetter) {
                // closes all three, even if one fails
            }
        }
    }
}
