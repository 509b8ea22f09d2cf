package dev.backendlabs.outbox;

/**
 * The CDC relay's replication slot was invalidated ({@code wal_status = lost}): PostgreSQL removed
 * WAL the slot still needed, because the relay stayed down longer than {@code max_slot_wal_keep_size}
 * allows. The events in that WAL can no longer be read from the log. Thrown by
 * {@link CdcRelay#start()} before anything starts; Debezium itself would retry for minutes with a
 * misleading message. Recovery is a decision, not a retry: drop the slot, create a new one, and
 * either re-publish the outbox rows written since the last published event (the consumers' inbox
 * absorbs the repeats) or accept the gap.
 */
public final class SlotInvalidatedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public SlotInvalidatedException(String message) {
        super(message);
    }
}
