package dev.backendlabs.pagination;

import java.time.Instant;

/** One row of the feed. {@code createdAt} has microsecond precision, like PostgreSQL's timestamptz. */
public record Post(long id, Instant createdAt, int authorId, int score, String title) {
}
