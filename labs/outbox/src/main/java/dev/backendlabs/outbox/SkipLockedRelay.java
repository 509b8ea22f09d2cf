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
 * NAIVE: the relay most tutorials show — claim the oldest rows with {@code FOR UPDATE SKIP LOCKED},
 * publish, delete. One of them is correct. Two of them at once lose per-aggregate order: relay A
 * claims ids 1–100, relay B the next 100; if A stalls (a GC pause, a slow ack) B publishes first,
 * and an aggregate with events in both batches reaches consumers out of order.
 */
public final class SkipLockedRelay extends BatchRelay {

    public SkipLockedRelay(DataSource dataSource, Supplier<? extends Producer<String, String>> producers, String topic, int batchSize,
                           Duration ackTimeout, Hooks hooks) {
        super(dataSource, producers, topic, batchSize, ackTimeout, hooks);
    }

    @Override
    protected List<PendingEvent> claim(Connection connection, int limit) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM outbox ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED")) {
            select.setInt(1, limit);
            return read(select);
        }
    }
}
