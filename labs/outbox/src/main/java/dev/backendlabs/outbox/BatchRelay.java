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
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * One relay pass, in one database transaction:
 *
 * <pre>
 * BEGIN
 *   claim a batch of outbox rows (how: the subclass)        -- rows locked until COMMIT
 *   send every row to Kafka, asynchronously                 -- key = aggregate id, header event_id
 *   wait for every ack, all against one deadline (ackTimeout) -- any failure: ROLLBACK, rows stay
 *   complete the rows (delete them, or remember them)
 * COMMIT
 * </pre>
 *
 * A crash anywhere before COMMIT leaves the rows in the outbox, so they are sent again by the next
 * pass: delivery is at least once, and consumers deduplicate by event id. Nothing is deleted before
 * Kafka has acknowledged it, so nothing committed is ever lost.
 *
 * <h2>Why the relay makes its own producer, and throws it away on a timeout</h2>
 * A relay gets a producer factory, not a producer. {@code producer.flush()} has no timeout and
 * waits for every record in the producer, including other relays' records if the producer were
 * shared; a record the broker does not take stays pending for {@code delivery.timeout.ms}. So the
 * relay never flushes: it waits on the batch's own futures until one deadline, {@code ackTimeout}
 * after the first send. When the deadline passes, the producer still holds the batch and would go
 * on sending it, so it is closed at once ({@code close(Duration.ZERO)} fails whatever is still
 * queued) and the next pass starts with a fresh producer from the factory. The transaction is
 * therefore open for at most {@code ackTimeout} plus one {@code max.block.ms} (a {@code send()} can
 * block that long for metadata or buffer space): keep {@code max.block.ms} below {@code ackTimeout}.
 *
 * <p>Because nothing flushes, configure the producer with {@code linger.ms=0}: the relay sends its
 * whole batch at once and then waits for it, so lingering would only delay the acks it waits for
 * (Kafka 4 defaults to 5 ms). A relay publishes from one thread at a time.
 */
public abstract class BatchRelay implements AutoCloseable {

    /** Points where a test can stop or crash a relay: the process dying at the worst moments. */
    public interface Hooks {

        /** No hooks: what production code passes. */
        Hooks NONE = new Hooks() { };

        default void afterClaim(List<PendingEvent> claimed) throws InterruptedException {
        }

        default void afterAcks(List<PendingEvent> published) throws SQLException {
        }
    }

    private final DataSource dataSource;
    private final Supplier<? extends Producer<String, String>> producers;
    private final String topic;
    private final int batchSize;
    private final Duration ackTimeout;
    private final Hooks hooks;
    private final LongAdder published = new LongAdder();
    private Producer<String, String> producer;

    /**
     * @param producers makes this relay's producer (idempotent, {@code acks=all}, {@code linger.ms=0}); the relay owns and closes it
     * @param ackTimeout how long a pass waits for Kafka to acknowledge its whole batch
     */
    protected BatchRelay(DataSource dataSource, Supplier<? extends Producer<String, String>> producers, String topic, int batchSize,
                         Duration ackTimeout, Hooks hooks) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("relay: batchSize must be >= 1, got " + batchSize);
        }
        if (ackTimeout == null || ackTimeout.isNegative() || ackTimeout.isZero()) {
            throw new IllegalArgumentException("relay: ackTimeout must be positive, got " + ackTimeout);
        }
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("relay: topic must not be blank, got '" + topic + "'");
        }
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.producers = Objects.requireNonNull(producers, "producers");
        this.topic = topic;
        this.batchSize = batchSize;
        this.ackTimeout = ackTimeout;
        this.hooks = Objects.requireNonNull(hooks, "hooks");
    }

    /**
     * Claims up to {@code limit} rows in the transaction of {@code connection}. Before it has
     * claimed anything it may roll that transaction back (to leave a partition it cannot take).
     */
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
     * @throws RelayException if Kafka did not acknowledge the batch in time, or refused it; the rows stay in the outbox
     */
    public final synchronized int publishBatch() throws SQLException, InterruptedException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                List<PendingEvent> rows = claim(connection, batchSize);
                if (rows.isEmpty()) {
                    connection.commit();
                    return 0;
                }
                hooks.afterClaim(rows);
                send(rows);
                hooks.afterAcks(rows);
                complete(connection, rows);
                connection.commit();
                published.add(rows.size());
                return rows.size();
            } catch (SQLException | RuntimeException | InterruptedException e) {
                rollback(connection, e);
                throw e;
            }
        }
    }

    /** Sends the batch and waits for every ack until one deadline; on a timeout the producer is replaced. */
    private void send(List<PendingEvent> rows) throws InterruptedException {
        long deadline = System.nanoTime() + ackTimeout.toNanos();
        Producer<String, String> current = producer();
        List<Future<RecordMetadata>> acks = new ArrayList<>(rows.size());
        try {
            for (PendingEvent row : rows) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new TimeoutException("sent " + acks.size() + " of " + rows.size() + " records before the deadline");
                }
                Future<RecordMetadata> ack = current.send(record(row));
                if (ack.isDone()) {
                    ack.get(); // failed already (no metadata within max.block.ms): the batch has failed, stop sending it
                }
                acks.add(ack);
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (TimeoutException e) {
            discardProducer();
            throw new RelayException("Kafka did not acknowledge " + rows.size() + " events within " + ackTimeout
                    + "; they stay in the outbox and the producer was replaced", e);
        } catch (ExecutionException e) {
            throw new RelayException("Kafka refused the batch; it stays in the outbox", e.getCause());
        }
    }

    private Producer<String, String> producer() {
        if (producer == null) {
            producer = Objects.requireNonNull(producers.get(), "the producer factory returned null");
        }
        return producer;
    }

    /** Closes the producer without waiting: whatever it still queues fails, and nothing of it is sent later. */
    private void discardProducer() {
        Producer<String, String> discarded = producer;
        producer = null;
        discarded.close(Duration.ZERO);
    }

    private static void rollback(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e); // a broken connection cannot roll back; the server does when the session ends
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

    /** Closes this relay's producer; a pass in progress must have ended. */
    @Override
    public synchronized void close() {
        if (producer != null) {
            producer.close(ackTimeout);
            producer = null;
        }
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
