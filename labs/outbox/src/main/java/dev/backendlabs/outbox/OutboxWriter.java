package dev.backendlabs.outbox;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Appends events to the outbox inside the caller's transaction: the event exists if and only if
 * the business change commits. Events are checked first — an aggregate id (the Kafka key and the
 * unit of ordering), a type, a JSON payload within the size limit — so a bad event fails the
 * transaction before anything commits.
 */
public final class OutboxWriter {

    /** The channel a {@linkplain #notifying() notifying} writer signals and {@link NotifyWakeup} listens on. */
    public static final String CHANNEL = "outbox";

    private final int maxPayloadBytes;
    private final int partitions;
    private final boolean notify;

    /**
     * @param maxPayloadBytes the largest payload accepted (keep it under the broker's message limit)
     * @param partitions      relay partitions; an aggregate's events all go to {@code hash(aggregateId) mod partitions}
     */
    public OutboxWriter(int maxPayloadBytes, int partitions) {
        this(maxPayloadBytes, partitions, false);
    }

    private OutboxWriter(int maxPayloadBytes, int partitions, boolean notify) {
        if (maxPayloadBytes < 1 || partitions < 1) {
            throw new IllegalArgumentException("maxPayloadBytes and partitions must be >= 1");
        }
        this.maxPayloadBytes = maxPayloadBytes;
        this.partitions = partitions;
        this.notify = notify;
    }

    /**
     * The same writer, also sending {@code NOTIFY outbox} in the transaction of every append, so that
     * a relay waiting in {@link NotifyWakeup} wakes up when the transaction commits instead of at its
     * next poll. PostgreSQL delivers a notification only on commit (a rolled-back order wakes
     * nobody) and folds identical ones within a transaction into one.
     */
    public OutboxWriter notifying() {
        return new OutboxWriter(maxPayloadBytes, partitions, true);
    }

    public int partitions() {
        return partitions;
    }

    /** The relay partition of an aggregate. */
    public int partitionOf(String aggregateId) {
        return Math.floorMod(aggregateId.hashCode(), partitions);
    }

    /**
     * Inserts {@code event} in the transaction of {@code connection} (auto-commit must be off).
     *
     * @throws InvalidEventException before writing, if the event is not publishable
     */
    public void append(Connection connection, OutboxEvent event) throws SQLException {
        validate(event);
        if (connection.getAutoCommit()) {
            throw new IllegalStateException("The outbox is written inside the business transaction: turn auto-commit off");
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO outbox"
                + " (event_id, aggregate_type, aggregate_id, event_type, payload, partition_no) VALUES (?, ?, ?, ?, ?::jsonb, ?)")) {
            insert.setObject(1, event.eventId());
            insert.setString(2, event.aggregateType());
            insert.setString(3, event.aggregateId());
            insert.setString(4, event.eventType());
            insert.setString(5, event.payload());
            insert.setInt(6, partitionOf(event.aggregateId()));
            insert.executeUpdate();
        }
        if (notify) {
            try (Statement wake = connection.createStatement()) {
                wake.execute("NOTIFY " + CHANNEL);
            }
        }
    }

    void validate(OutboxEvent event) {
        if (event.eventId() == null) {
            throw new InvalidEventException("An event needs an event id");
        }
        if (event.aggregateId() == null || event.aggregateId().isBlank()) {
            throw new InvalidEventException("Event " + event.eventId() + " has no aggregate id: it would have no Kafka key and no order");
        }
        if (event.aggregateType() == null || event.aggregateType().isBlank() || event.eventType() == null || event.eventType().isBlank()) {
            throw new InvalidEventException("Event " + event.eventId() + " needs an aggregate type and an event type");
        }
        if (event.payload() == null) {
            throw new InvalidEventException("Event " + event.eventId() + " has no payload");
        }
        int bytes = event.payload().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxPayloadBytes) {
            throw new InvalidEventException("Event " + event.eventId() + " payload is " + bytes + " bytes; the limit is "
                    + maxPayloadBytes);
        }
    }
}
