/**
 * The transactional outbox from PostgreSQL to Kafka: {@link dev.backendlabs.outbox.OrderService}
 * writes business rows and events in one transaction, {@link dev.backendlabs.outbox.OutboxRelay}
 * publishes them in per-aggregate order with several relays at once, and
 * {@link dev.backendlabs.outbox.InboxConsumer} makes redeliveries harmless. The naive variants
 * ({@link dev.backendlabs.outbox.DualWritePublisher}, {@link dev.backendlabs.outbox.SkipLockedRelay},
 * {@link dev.backendlabs.outbox.HighWaterMarkRelay}) show what goes wrong without them.
 */
package dev.backendlabs.outbox;
