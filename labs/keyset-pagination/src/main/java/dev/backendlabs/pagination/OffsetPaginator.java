package dev.backendlabs.pagination;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.OptionalInt;

/**
 * NAIVE: page numbers with {@code ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?}, the way
 * most admin screens and REST APIs start.
 *
 * <p>Why it breaks: {@code OFFSET n} does not skip n rows, it reads them and throws them away, so
 * page 10,000 costs 10,000 pages of work (linear in depth). And the offset is relative to what
 * the table holds now: a row inserted at the head between two requests pushes the last row of
 * page k onto page k + 1 (a duplicate), and a row deleted before the position pulls a row of page
 * k + 1 onto page k, which the client already has (a skip).
 */
public final class OffsetPaginator {

    private final DataSource dataSource;
    private final FeedTable table;

    public OffsetPaginator(DataSource dataSource, FeedTable table) {
        this.dataSource = dataSource;
        this.table = table;
    }

    /** Page {@code number} (1-based) of {@code size} rows, newest first, optionally of one author. */
    public List<Post> page(int number, int size, OptionalInt authorId) {
        if (number < 1) {
            throw new InvalidPageRequestException("Page numbers start at 1, got " + number);
        }
        OptionalInt author = new PageRequest(size, SortOrder.NEWEST_FIRST, authorId, null).authorId();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql(author.isPresent()))) {
            int p = 1;
            if (author.isPresent()) {
                statement.setInt(p++, author.getAsInt());
            }
            statement.setInt(p++, size);
            statement.setLong(p, (long) (number - 1) * size);
            return PostRows.read(statement);
        } catch (SQLException e) {
            throw new IllegalStateException("Page " + number + " of " + table.qualifiedName() + " failed", e);
        }
    }

    /** The query, with parameters {@code [author_id,] limit, offset}. */
    public String sql(boolean byAuthor) {
        return "SELECT " + PostRows.COLUMNS + " FROM " + table.qualifiedName()
                + (byAuthor ? " WHERE author_id = ?" : "")
                + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?";
    }
}
