/**
 * MVCC bloat on PostgreSQL: what holds the xmin horizon back, and the guardrails that keep tables
 * from bloating. {@link dev.backendlabs.mvcc.HorizonMonitor} finds every holder (sessions by
 * snapshot or by transaction id, prepared transactions, replication slots, standbys with feedback)
 * with its age; {@link dev.backendlabs.mvcc.TransactionTimeouts} makes the server end the ones an
 * application forgets; {@link dev.backendlabs.mvcc.TableHealth} and
 * {@link dev.backendlabs.mvcc.VacuumVerbose} read the damage as the server reports it
 * ({@code pgstattuple}, {@code pg_stat_user_tables}, {@code VACUUM (VERBOSE)}). This package
 * depends on the PostgreSQL driver only, never on the labs' shared test tooling, so that it can be
 * lifted into a service as it is.
 */
package dev.backendlabs.mvcc;
