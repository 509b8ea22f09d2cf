/**
 * SQL tooling shared by the PostgreSQL labs: {@link dev.backendlabs.shared.sql.QueryPlan} parses
 * {@code EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)} so that tests assert plans, not timings.
 */
package dev.backendlabs.shared.sql;
