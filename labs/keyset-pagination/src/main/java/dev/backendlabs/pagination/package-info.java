/**
 * Pagination of a PostgreSQL feed: {@link dev.backendlabs.pagination.KeysetPaginator} (seek on a
 * composite index, both directions, opaque signed cursors from
 * {@link dev.backendlabs.pagination.CursorCodec} bound to the listing and to the caller's
 * {@link dev.backendlabs.pagination.CursorScope}, under rotatable
 * {@link dev.backendlabs.pagination.CursorKey}s) and the naive
 * {@link dev.backendlabs.pagination.OffsetPaginator} it replaces.
 */
package dev.backendlabs.pagination;
