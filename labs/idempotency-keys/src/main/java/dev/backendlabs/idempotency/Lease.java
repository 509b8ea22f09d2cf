package dev.backendlabs.idempotency;

/**
 * Ownership of a claimed key until {@code locked_until} (database clock), proved by a fencing token.
 * Every write the owner makes to its key names the token, and a take-over increments it, so an owner
 * that stalled past its lease finds that its writes match no row.
 *
 * @param keyId the key's row id
 * @param token the fencing token this owner holds
 */
public record Lease(long keyId, long token) {
}
