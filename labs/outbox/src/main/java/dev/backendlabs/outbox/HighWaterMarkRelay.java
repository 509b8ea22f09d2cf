package dev.backendlabs.outbox;

import org.apache.kafka.clients.producer.Producer;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * NAIVE: a relay that remembers the highest id it published and asks for {@code id > last} —
 * no locks, no deletes, looks efficient.
 *
 * <p>Why it loses events: ids come from a sequence when the row is inserted, not when its
 * transaction commits. A transaction that took id 41 and commits after the transaction with id 42
 * was published is never seen: the relay has moved past 41. (A status-flag or delete-based outbox
 * publishes such a row late; it never skips it.)
 */
public final class HighWaterMarkRelay extends BatchRelay {

    private long lastPublishedId;

    public HighWaterMarkRelay(DataSource dataSource, Supplier<? extends Producer<String, String>> producers, String topic, int batchSize,
                              Duration ackTimeout) {
        super(dataSource, producers, topic, batchSize, ackTimeout, Hooks.NONE);
    }

    @Override
    protected List<PendingEvent> claim(Connection connection, int limit) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM outbox WHERE id > ? ORDER BY id LIMIT ?")) {
            select.setLong(1, lastPublishedId);
            select.setInt(2, limit);
            return read(select);
        }
    }

    @Override
    protected void complete(Connection connection, List<PendingEvent> rows) {
        lastPublishedId = rows.getLast().id();
    }
}
