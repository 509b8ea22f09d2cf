package dev.backendlabs.outbox;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * One relay pass, in one database transaction:
 *
 * <pre>
 * BEGIN
 *   claim a batch of outbox rows (how: the subclass)        -- rows locked until COMMIT
 *   send every row to Kafka, asynchronously                 -- key = aggregate id, header event_id
 *   flush(), then wait for every ack                        -- any failure: ROLLBACK, rows stay
 *   complete the rows (delete them, or remember them)
 * COMMIT
 * </pre>
 *
 * A crash anywhere before COMMIT leaves the rows in the outbox, so they are sent again by the next
 * pass: delivery is at least once, and consumers deduplicate by event id. Nothing is deleted before
 * Kafka has acknowledged it, so nothing committed is ever lost.
 */
public abstract class BatchRelay {

    /** Points where a test can stop or crash a relay: the process dying at the worst moments. */
    public interface Hooks {
        default void afterClaim(List<PendingEvent> claimed) throws InterruptedException {
        }

        default void afterAcks(List<PendingEvent> published) throws SQLException {
        }
    }

    private final DataSource dataSource;
    private final Producer<String, String> producer;
    private final String topic;
    private final int batchSize;
    private final Duration ackTimeout;
    private final Hooks hooks;
    private final LongAdder published = new LongAdder();
    private final LongAdder failures = new LongAdder();

    protected BatchRelay(DataSource dataSource, Producer<String, String> producer, String topic, int batchSize, Duration ackTimeout, Hooks hooks) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        this.dataSource = dataSource;
        this.producer = producer;
        this.topic = topic;
        this.batchSize = batchSize;
        this.ackTimeout = ackTimeout;
        this.hooks = hooks;
    }

    /** Claims up to {@code limit} rows in the transaction of {@code connection}. */
    protected abstract List<PendingEvent> claim(Connection connection, int limit) throws SQLException;

    /** Marks the rows as published, in the same transaction; deletes them unless overridden. */
    protected void complete(Connection connection, List<PendingEvent> rows) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM outbox WHERE id = ANY (?)")) {
            Array ids = connection.createArrayOf("bigint", rows.stream().map(PendingEvent::id).toArray());
            delete.setArray(1, ids);
            delete.executeUpdate();
        }
    }

    /**
     * Publishes one batch.
     *
     * @return the number of events published (0 when there was nothing to claim)
     * @throws RelayException if Kafka did not acknowledge the batch; the rows stay in the outbox
     */
    public final int publishBatch() throws SQLException, InterruptedException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                List<PendingEvent> rows = claim(connection, batchSize);
                if (rows.isEmpty()) {
                    connection.commit();
                    return 0;
                }
                hooks.afterClaim(rows);
                List<Future<RecordMetadata>> acks = new ArrayList<>(rows.size());
                for (PendingEvent row : rows) {
                    acks.add(producer.send(record(row)));
                }
                producer.flush();
                for (Future<RecordMetadata> ack : acks) {
                    ack.get(ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
                }
                hooks.afterAcks(rows);
                complete(connection, rows);
                connection.commit();
                published.add(rows.size());
                return rows.size();
            } catch (ExecutionException | TimeoutException e) {
                connection.rollback();
                failures.increment();
                throw new RelayException("Kafka did not acknowledge the batch; it stays in the outbox", e);
            } catch (SQLException | RuntimeException | InterruptedException e) {
                connection.rollback();
                failures.increment();
                throw e;
            }
        }
    }

    private ProducerRecord<String, String> record(PendingEvent row) {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, row.aggregateId(), row.payload());
        record.headers().add("event_id", row.eventId().toString().getBytes(StandardCharsets.UTF_8));
        record.headers().add("event_type", row.eventType().getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /** Events this relay has published (acknowledged and committed). */
    public long published() {
        return published.sum();
    }

    /** Passes that failed and were rolled back. */
    public long failures() {
        return failures.sum();
    }

    /** Reads claimed rows from a query whose columns are {@code id, event_id, aggregate_id, event_type, payload}. */
    protected static List<PendingEvent> read(PreparedStatement query) throws SQLException {
        List<PendingEvent> rows = new ArrayList<>();
        try (ResultSet result = query.executeQuery()) {
            while (result.next()) {
                rows.add(new PendingEvent(result.getLong(1), result.getObject(2, UUID.class), result.getString(3),
                        result.getString(4), result.getString(5)));
            }
        }
        return rows;
    }

    protected static final String COLUMNS = "id, event_id, aggregate_id, event_type, payload::text";
}
