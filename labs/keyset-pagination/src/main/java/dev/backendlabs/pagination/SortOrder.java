package dev.backendlabs.pagination;

/**
 * The orders the feed can be listed in. Each ends with the unique {@code id}, so the order is
 * total: rows that tie on the first column still have exactly one place, and a cursor (the last
 * row's values) names exactly one position.
 */
public enum SortOrder {

    /**
     * {@code created_at DESC, id DESC}, the default. Both columns go the same way, so the seek
     * predicate is the row comparison {@code (created_at, id) < (?, ?)}, which PostgreSQL uses
     * as an index condition on {@code (created_at, id)} (scanned backward).
     */
    NEWEST_FIRST,

    /**
     * {@code score DESC, id ASC}: mixed directions. A row comparison would be wrong here
     * ({@code (score, id) < (s, i)} means "id smaller" on ties, but the order wants "id larger"),
     * so the predicate is expanded: {@code score < s OR (score = s AND id > i)}, plus the
     * redundant bound {@code score <= s} that keeps the index range tight. Served by the index
     * {@code (score DESC, id ASC)}.
     */
    TOP_SCORE
}
