/**
 * Pagination of a PostgreSQL feed: {@link dev.backendlabs.pagination.KeysetPaginator} (seek on a
 * composite index, opaque signed cursors from {@link dev.backendlabs.pagination.CursorCodec},
 * both directions) and the naive {@link dev.backendlabs.pagination.OffsetPaginator} it replaces.
 */
package dev.backendlabs.pagination;
