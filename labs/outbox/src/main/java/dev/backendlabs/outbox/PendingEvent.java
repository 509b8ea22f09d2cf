package dev.backendlabs.outbox;

import java.util.UUID;

/** An outbox row a relay has claimed and is about to publish. */
public record PendingEvent(long id, UUID eventId, String aggregateId, String eventType, String payload) {
}
