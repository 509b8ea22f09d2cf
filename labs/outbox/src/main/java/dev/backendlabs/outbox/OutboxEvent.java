package dev.backendlabs.outbox;

import java.util.UUID;

/**
 * An event as the outbox stores it and Kafka carries it: the aggregate id becomes the record key
 * (so one aggregate's events share a Kafka partition and keep their order), the event id a header
 * (so consumers can drop duplicates).
 *
 * @param payload JSON text
 */
public record OutboxEvent(UUID eventId, String aggregateType, String aggregateId, String eventType, String payload) {

    public static OutboxEvent of(String aggregateType, String aggregateId, String eventType, String payload) {
        return new OutboxEvent(UUID.randomUUID(), aggregateType, aggregateId, eventType, payload);
    }
}
