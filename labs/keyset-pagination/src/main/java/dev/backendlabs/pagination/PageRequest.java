package dev.backendlabs.pagination;

import java.util.OptionalInt;

/**
 * What a client asks for: a page size, an order, an optional author filter and, after the first
 * page, the opaque cursor of the previous response.
 *
 * @param size     rows per page, 1 to {@value #MAX_SIZE}
 * @param sort     the order
 * @param authorId only this author's posts, if present
 * @param cursor   {@code next_cursor} or {@code prev_cursor} of an earlier page, or null for the first page
 */
public record PageRequest(int size, SortOrder sort, OptionalInt authorId, String cursor) {

    public static final int MAX_SIZE = 1000;

    public PageRequest {
        if (size < 1 || size > MAX_SIZE) {
            throw new InvalidPageRequestException("Page size must be from 1 to " + MAX_SIZE + ", got " + size);
        }
        if (sort == null) {
            throw new InvalidPageRequestException("A sort order is required");
        }
        authorId = authorId == null ? OptionalInt.empty() : authorId;
        if (authorId.isPresent() && authorId.getAsInt() < 1) {
            throw new InvalidPageRequestException("Author ids are positive, got " + authorId.getAsInt());
        }
    }

    /** The first page of the whole feed, newest first. */
    public static PageRequest first(int size) {
        return new PageRequest(size, SortOrder.NEWEST_FIRST, OptionalInt.empty(), null);
    }

    /** The same listing, at {@code cursor}. */
    public PageRequest at(String cursor) {
        return new PageRequest(size, sort, authorId, cursor);
    }

    public PageRequest sortedBy(SortOrder order) {
        return new PageRequest(size, order, authorId, cursor);
    }

    public PageRequest byAuthor(int author) {
        return new PageRequest(size, sort, OptionalInt.of(author), cursor);
    }

    /** Fingerprint of what the cursor must belong to: the order and the filter, not the size. */
    String listing() {
        return "sort=" + sort.name() + ";author=" + (authorId.isPresent() ? authorId.getAsInt() : "*");
    }
}
