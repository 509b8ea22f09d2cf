package dev.backendlabs.pagination;

import java.util.List;

/**
 * One page of a keyset listing.
 *
 * @param items          rows in the listing's order
 * @param nextCursor     opaque cursor of the page after this one, or null when {@code hasNext} is false
 * @param previousCursor opaque cursor of the page before this one, or null when {@code hasPrevious} is false
 */
public record Page<T>(List<T> items, String nextCursor, String previousCursor, boolean hasNext, boolean hasPrevious) {

    public Page {
        items = List.copyOf(items);
    }
}
