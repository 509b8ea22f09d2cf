package dev.backendlabs.outbox;

import org.apache.kafka.clients.producer.Producer;

import javax.sql.DataSource;
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
 * <p>The batch is sent by an {@link EventPublisher}: the relay's own producer, made by the
 * factory, one ack deadline ({@code ackTimeout}) for the whole batch and a fresh producer after a
 * timeout. The transaction is therefore open for at most {@code ackTimeout} plus one
 * {@code max.block.ms}. A relay publishes from one thread at a time.
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
    private final EventPublisher publisher;
    private final int batchSize;
    private final Hooks hooks;
    private final LongAdder published = new LongAdder();

    /**
     * @param producers makes this relay's producer (idempotent, {@code acks=all}, {@code linger.ms=0}); the relay owns and closes it
     * @param ackTimeout how long a pass waits for Kafka to acknowledge its whole batch
     */
    protected BatchRelay(DataSource dataSource, Supplier<? extends Producer<String, String>> producers, String topic, int batchSize,
                         Duration ackTimeout, Hooks hooks) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("relay: batchSize must be >= 1, got " + batchSize);
        }
        this.publisher = new EventPublisher(producers, topic, ackTimeout);
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.batchSize = batchSize;
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
                publisher.publish(rows);
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

    private static void rollback(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e); // a broken connection cannot roll back; the server does when the session ends
        }
    }

    /** Events this relay has published (acknowledged and committed). */
    public long published() {
        return published.sum();
    }

    /** Closes this relay's producer; a pass in progress must have ended. */
    @Override
    public synchronized void close() {
        publisher.close();
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
