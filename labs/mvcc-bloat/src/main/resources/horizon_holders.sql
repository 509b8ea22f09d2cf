-- Everything that holds the xmin horizon back, oldest first: VACUUM cannot remove a row version that any of
-- these may still need. One row per holder, with the transaction id it pins, how many transactions ago that was
-- (xmin_age) and, where the server knows it, since when (held_seconds).
--
-- A session pins through its snapshot (backend_xmin) or, once it has written, through its own transaction id
-- (backend_xid): an idle READ COMMITTED transaction whose last statement wrote has no snapshot, so a query that
-- looks at backend_xmin alone misses it. (One whose last statement was a SELECT over the extended query protocol,
-- as JDBC drivers send it, still holds that SELECT's snapshot: its portal lives until the next statement.) A prepared transaction has no session at all and shows only in pg_prepared_xacts.
-- A replication slot pins through xmin (a physical slot fed by a standby) or catalog_xmin (a logical slot, system
-- catalogs only); a connected standby with hot_standby_feedback = on through pg_stat_replication.backend_xmin.
-- Sessions pin only their own database's tables (and the shared catalogs); slots and standbys pin every database.
-- Vacuum workers and walsenders are left out: vacuum ignores other vacuums, and a walsender's xmin is its standby's.
-- region horizon-holders
WITH sessions AS (
    SELECT *, backend_xid IS NOT NULL AND (backend_xmin IS NULL OR age(backend_xid) >= age(backend_xmin)) AS by_xid
      FROM pg_stat_activity
     WHERE (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)
       AND pid <> pg_backend_pid()
       AND backend_type NOT IN ('walsender', 'autovacuum worker')
), holders AS (
    SELECT CASE WHEN by_xid THEN 'TRANSACTION' ELSE 'SNAPSHOT' END AS kind,
           format('pid %s (%s, %s)', pid, usename, state) AS holder,
           datname::text AS database,
           CASE WHEN by_xid THEN backend_xid ELSE backend_xmin END AS xmin,
           xact_start AS since
      FROM sessions
    UNION ALL
    SELECT 'PREPARED', format('gid %s (%s)', gid, owner), database::text, transaction, prepared
      FROM pg_prepared_xacts
    UNION ALL
    SELECT 'REPLICATION_SLOT', format('slot %s (%s, active: %s)', slot_name, slot_type, active), database::text, xmin, NULL
      FROM pg_replication_slots
     WHERE xmin IS NOT NULL
    UNION ALL
    SELECT 'SLOT_CATALOG', format('slot %s (%s, active: %s)', slot_name, slot_type, active), database::text, catalog_xmin, NULL
      FROM pg_replication_slots
     WHERE catalog_xmin IS NOT NULL
    UNION ALL
    SELECT 'STANDBY_FEEDBACK', format('standby %s at %s', application_name, client_addr), NULL, backend_xmin, backend_start
      FROM pg_stat_replication
     WHERE backend_xmin IS NOT NULL
)
SELECT kind, holder, database, xmin::text::bigint AS xmin, age(xmin) AS xmin_age,
       extract(epoch FROM clock_timestamp() - since) AS held_seconds
  FROM holders
 ORDER BY age(xmin) DESC
-- endregion
