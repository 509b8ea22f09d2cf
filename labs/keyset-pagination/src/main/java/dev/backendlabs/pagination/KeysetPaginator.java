package dev.backendlabs.pagination;

import dev.backendlabs.pagination.CursorCodec.Cursor;
import dev.backendlabs.pagination.CursorCodec.Direction;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * THE PATTERN: keyset ("seek") pagination. Each page starts where the previous one ended, found
 * through the index by the last row's sort values instead of by counting rows.
 *
 * <pre>{@code
 * SELECT … FROM feed.posts
 *  WHERE (created_at, id) < (?, ?)          -- the last row of the previous page
 *  ORDER BY created_at DESC, id DESC
 *  LIMIT 51                                 -- one more than the page: has_next without a count
 * }</pre>
 *
 * <p>Cost does not depend on depth: the index on {@code (created_at, id)} is entered at the
 * cursor and read for {@code size + 1} entries. Rows inserted or deleted elsewhere do not move
 * the position, because the position is a value, not a count. The price: no jumping to page
 * 4,711, and the sort keys must be immutable and {@code NOT NULL}.
 *
 * <p>Cursors are opaque and signed ({@link CursorCodec}), bound to the listing (schema, table,
 * sort, filter) and to the caller's {@link CursorScope}, and are decoded before any connection is
 * taken, so a bad cursor costs no query. Backward paging ({@code previousCursor}) reverses the
 * order and the comparison in SQL, reads the {@code size + 1} rows just before the first row of
 * the current page, and restores the order in Java.
 */
public final class KeysetPaginator {

    private final DataSource dataSource;
    private final CursorCodec codec;
    private final FeedTable table;

    public KeysetPaginator(DataSource dataSource, CursorCodec codec, FeedTable table) {
        this.dataSource = dataSource;
        this.codec = codec;
        this.table = table;
    }

    /**
     * The page the request names: the first page without a cursor, otherwise the page after or
     * before the cursor's row.
     *
     * @param scope whom the listing is served to, from authentication, not from the request: the
     *              page's cursors are bound to it, and the request's cursor must have been minted for it
     * @throws InvalidCursorException if the cursor is not valid for this listing and scope (before any query)
     */
    public Page<Post> page(CursorScope scope, PageRequest request) {
        Objects.requireNonNull(scope, "scope");
        Cursor cursor = request.cursor() == null ? null : codec.decode(request.cursor(), listing(request), scope);
        Direction direction = cursor == null ? Direction.AFTER : cursor.direction();
        List<Post> rows = fetch(request, direction, cursor);
        boolean more = rows.size() > request.size();
        if (more) {
            rows.remove(rows.size() - 1);
        }
        if (direction == Direction.BEFORE) {
            Collections.reverse(rows);
        }
        boolean hasNext = direction == Direction.AFTER ? more : cursor != null;
        boolean hasPrevious = direction == Direction.AFTER ? cursor != null : more;
        return page(scope, request, rows, hasNext, hasPrevious);
    }

    /** The last page of the listing (the oldest rows when newest first), for "jump to end". */
    public Page<Post> lastPage(CursorScope scope, PageRequest request) {
        Objects.requireNonNull(scope, "scope");
        if (request.cursor() != null) {
            throw new InvalidPageRequestException("The last page takes no cursor");
        }
        List<Post> rows = fetch(request, Direction.BEFORE, null);
        boolean more = rows.size() > request.size();
        if (more) {
            rows.remove(rows.size() - 1);
        }
        Collections.reverse(rows);
        return page(scope, request, rows, false, more);
    }

    private Page<Post> page(CursorScope scope, PageRequest request, List<Post> rows, boolean hasNext, boolean hasPrevious) {
        if (rows.isEmpty()) {
            // An empty listing, or every row on that side of the cursor was deleted: no cursor, start again.
            return new Page<>(rows, null, null, false, false);
        }
        String listing = listing(request);
        String next = hasNext ? codec.encode(cursorAt(Direction.AFTER, request.sort(), rows.getLast()), listing, scope) : null;
        String previous = hasPrevious ? codec.encode(cursorAt(Direction.BEFORE, request.sort(), rows.getFirst()), listing, scope) : null;
        return new Page<>(rows, next, previous, hasNext, hasPrevious);
    }

    /**
     * What a cursor is bound to: this table with its schema ({@code a.posts} and {@code b.posts} are
     * different listings), the order and the filter (not the page size).
     */
    String listing(PageRequest request) {
        return "table=" + table.qualifiedName() + ";" + request.listing();
    }

    private static Cursor cursorAt(Direction direction, SortOrder sort, Post row) {
        long sortValue = sort == SortOrder.NEWEST_FIRST ? PostRows.micros(row.createdAt()) : row.score();
        return new Cursor(direction, sortValue, row.id());
    }

    private List<Post> fetch(PageRequest request, Direction direction, Cursor cursor) {
        String sql = sql(request.sort(), direction, cursor != null, request.authorId().isPresent());
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            int p = 1;
            if (request.authorId().isPresent()) {
                statement.setInt(p++, request.authorId().getAsInt());
            }
            if (cursor != null) {
                p = bindSeek(statement, p, request.sort(), cursor);
            }
            statement.setInt(p, request.size() + 1);
            return new ArrayList<>(PostRows.read(statement));
        } catch (SQLException e) {
            throw new IllegalStateException("Keyset page of " + table.qualifiedName() + " failed", e);
        }
    }

    private static int bindSeek(PreparedStatement statement, int p, SortOrder sort, Cursor cursor) throws SQLException {
        if (sort == SortOrder.NEWEST_FIRST) {
            statement.setObject(p++, PostRows.timestamp(cursor.sortValue()));
            statement.setLong(p++, cursor.id());
            return p;
        }
        for (int i = 0; i < 3; i++) {
            statement.setInt(p++, Math.toIntExact(cursor.sortValue()));
        }
        statement.setLong(p++, cursor.id());
        return p;
    }

    /**
     * The query for one direction, with parameters {@code [author_id,] [seek values,] limit}.
     * Public so that tests and the README show and EXPLAIN exactly what runs.
     */
    public String sql(SortOrder sort, Direction direction, boolean seek, boolean byAuthor) {
        List<String> conditions = new ArrayList<>();
        if (byAuthor) {
            conditions.add("author_id = ?");
        }
        if (seek) {
            conditions.add(seekPredicate(sort, direction, true));
        }
        return "SELECT " + PostRows.COLUMNS + " FROM " + table.qualifiedName()
                + (conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions))
                + " ORDER BY " + orderBy(sort, direction) + " LIMIT ?";
    }

    /**
     * The seek condition. Same-direction orders use a row comparison, which PostgreSQL turns into
     * an index condition. Mixed directions cannot (a row comparison orders every column the same
     * way), so they use the expanded OR form; without the redundant leading bound
     * ({@code score <= ?}) PostgreSQL cannot bound the index scan with the OR and filters every
     * row from the start of the index instead.
     */
    // region seek-predicate
    static String seekPredicate(SortOrder sort, Direction direction, boolean redundantBound) {
        boolean after = direction == Direction.AFTER;
        if (sort == SortOrder.NEWEST_FIRST) {
            return "(created_at, id) " + (after ? "<" : ">") + " (?, ?)";
        }
        String bound = redundantBound ? "score " + (after ? "<=" : ">=") + " ? AND " : "";
        return bound + "(score " + (after ? "<" : ">") + " ? OR (score = ? AND id " + (after ? ">" : "<") + " ?))";
    }
    // endregion

    private static String orderBy(SortOrder sort, Direction direction) {
        boolean forward = direction == Direction.AFTER;
        return switch (sort) {
            case NEWEST_FIRST -> forward ? "created_at DESC, id DESC" : "created_at ASC, id ASC";
            case TOP_SCORE -> forward ? "score DESC, id ASC" : "score ASC, id DESC";
        };
    }
}
