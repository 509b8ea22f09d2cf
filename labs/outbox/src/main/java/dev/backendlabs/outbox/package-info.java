/**
 * The transactional outbox from PostgreSQL to Kafka: {@link dev.backendlabs.outbox.OrderService}
 * writes business rows and events in one transaction, {@link dev.backendlabs.outbox.OutboxRelay}
 * publishes them in per-aggregate order with several relays at once (woken by
 * {@link dev.backendlabs.outbox.NotifyWakeup} if the writer notifies), or
 * {@link dev.backendlabs.outbox.CdcRelay} publishes them from the write-ahead log with Debezium,
 * and {@link dev.backendlabs.outbox.InboxConsumer} makes redeliveries harmless. The naive variants
 * ({@link dev.backendlabs.outbox.DualWritePublisher}, {@link dev.backendlabs.outbox.SkipLockedRelay},
 * {@link dev.backendlabs.outbox.HighWaterMarkRelay}) show what goes wrong without them.
 */
package dev.backendlabs.outbox;
