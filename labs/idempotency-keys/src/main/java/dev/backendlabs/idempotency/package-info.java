/**
 * Idempotency keys for a payment {@code POST} on PostgreSQL: {@link dev.backendlabs.idempotency.IdempotencyStore}
 * (the atomic claim, the lease and its fencing token, the stored answer),
 * {@link dev.backendlabs.idempotency.RecoveryPointPayments} (recovery points around the provider call),
 * {@link dev.backendlabs.idempotency.SingleTransactionIdempotency} (local-only writes in one transaction),
 * {@link dev.backendlabs.idempotency.KeyReaper} and {@link dev.backendlabs.idempotency.KeyCompleter}, served
 * over the JDK's {@code HttpServer} by {@link dev.backendlabs.idempotency.AtomicClaimHandler}; and the naive
 * {@link dev.backendlabs.idempotency.CheckThenInsertHandler}. Every time is the database's
 * ({@code clock_timestamp()}): nothing here reads an application clock.
 *
 * <p>Pattern classes start their javadoc with {@code THE PATTERN:}, naive variants with {@code NAIVE:}; this
 * package depends on drivers and libraries only, never on the labs' shared test tooling, so that it can be
 * lifted into a service as it is. Its SQL lives in {@code idempotency_schema.sql} and
 * {@code idempotency_statements.sql}.
 */
package dev.backendlabs.idempotency;
