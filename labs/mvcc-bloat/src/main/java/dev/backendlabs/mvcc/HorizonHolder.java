package dev.backendlabs.mvcc;

import java.time.Duration;

/**
 * One thing that holds the xmin horizon back, as {@link HorizonMonitor} found it.
 *
 * @param kind        how it holds the horizon
 * @param holder      who: a backend's pid, user and state; a prepared transaction's gid; a slot's or a standby's name
 * @param database    the database it pins, or null for a physical slot or a standby, which pin every database
 * @param xmin        the transaction id it pins: VACUUM keeps every row version deleted after it
 * @param xminAgeXids how many transaction ids were assigned since {@code xmin}
 * @param heldFor     how long since its transaction started (a session) or was prepared, or null for a slot
 */
public record HorizonHolder(Kind kind, String holder, String database, long xmin, long xminAgeXids, Duration heldFor) {

    /** The ways to hold the horizon, each read from the view where it shows. */
    public enum Kind {
        /** A session's snapshot ({@code pg_stat_activity.backend_xmin}): REPEATABLE READ, or a statement running. */
        SNAPSHOT,
        /** A session's own transaction id ({@code backend_xid}): it wrote, and has not ended. */
        TRANSACTION,
        /** A prepared transaction ({@code pg_prepared_xacts}): no session, survives restarts. */
        PREPARED,
        /** A replication slot's {@code xmin}: a physical slot fed by a standby with feedback. */
        REPLICATION_SLOT,
        /** A replication slot's {@code catalog_xmin}: a logical slot, holding system catalog rows. */
        SLOT_CATALOG,
        /** A connected standby with {@code hot_standby_feedback = on} ({@code pg_stat_replication.backend_xmin}). */
        STANDBY_FEEDBACK
    }
}
