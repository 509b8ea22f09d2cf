package dev.backendlabs.pagination;

import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Walking a whole 100,000-row listing page by page, forward from the first page and backward
 * from the last, returns every row exactly once and in order — the same sequence as one ordered
 * scan of the table — for the default order (with 5-way ties on created_at), the mixed-direction
 * order and an author filter.
 */
@Lab
class FullWalkTest {

    private static FeedTable table;
    private static KeysetPaginator paginator;

    @BeforeAll
    static void createTable() throws SQLException {
        table = FeedFixture.small();
        paginator = new KeysetPaginator(FeedFixture.dataSource(), FeedFixture.CODEC, table);
    }

    @Test
    void newestFirstWalksForwardAndBackwardOverEveryRowOnce() throws SQLException {
        List<Long> expected = orderedIds("ORDER BY created_at DESC, id DESC", "");
        assertThat(expected).hasSize(FeedFixture.SMALL_ROWS);

        // 998 rows a page: not a multiple of 5, so page boundaries fall inside groups of tied created_at.
        assertThat(walkForward(PageRequest.first(998))).containsExactlyElementsOf(expected);
        assertThat(walkBackward(PageRequest.first(998))).containsExactlyElementsOf(expected);
    }

    @Test
    void mixedDirectionOrderWalksForwardAndBackwardOverEveryRowOnce() throws SQLException {
        List<Long> expected = orderedIds("ORDER BY score DESC, id ASC", "");
        PageRequest request = PageRequest.first(997).sortedBy(SortOrder.TOP_SCORE);

        assertThat(walkForward(request)).containsExactlyElementsOf(expected);
        assertThat(walkBackward(request)).containsExactlyElementsOf(expected);
    }

    @Test
    void authorFilterWalksOverEveryPostOfTheAuthorOnce() throws SQLException {
        List<Long> expected = orderedIds("ORDER BY created_at DESC, id DESC", "WHERE author_id = 7");
        assertThat(expected).isNotEmpty();

        assertThat(walkForward(PageRequest.first(7).byAuthor(7))).containsExactlyElementsOf(expected);
        assertThat(walkBackward(PageRequest.first(7).byAuthor(7))).containsExactlyElementsOf(expected);
    }

    @Test
    void nextThenPreviousReturnsTheSamePage() {
        Page<Post> first = paginator.page(FeedFixture.READER, PageRequest.first(25));
        Page<Post> second = paginator.page(FeedFixture.READER, PageRequest.first(25).at(first.nextCursor()));
        Page<Post> backToFirst = paginator.page(FeedFixture.READER, PageRequest.first(25).at(second.previousCursor()));

        assertThat(first.hasPrevious()).isFalse();
        assertThat(first.previousCursor()).isNull();
        assertThat(second.hasPrevious()).isTrue();
        assertThat(backToFirst.items()).isEqualTo(first.items());
        assertThat(backToFirst.hasPrevious()).isFalse();
        assertThat(backToFirst.hasNext()).isTrue();
    }

    private static List<Long> walkForward(PageRequest request) {
        List<Long> ids = new ArrayList<>();
        Page<Post> page = paginator.page(FeedFixture.READER, request);
        while (true) {
            page.items().forEach(post -> ids.add(post.id()));
            if (!page.hasNext()) {
                return ids;
            }
            page = paginator.page(FeedFixture.READER, request.at(page.nextCursor()));
        }
    }

    /** From the last page to the first via previous cursors, then put the pages back in listing order. */
    private static List<Long> walkBackward(PageRequest request) {
        List<List<Long>> pages = new ArrayList<>();
        Page<Post> page = paginator.lastPage(FeedFixture.READER, request);
        while (true) {
            pages.add(page.items().stream().map(Post::id).toList());
            if (!page.hasPrevious()) {
                break;
            }
            page = paginator.page(FeedFixture.READER, request.at(page.previousCursor()));
        }
        Collections.reverse(pages);
        return pages.stream().flatMap(List::stream).toList();
    }

    private static List<Long> orderedIds(String orderBy, String where) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (Connection connection = FeedFixture.dataSource().getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT id FROM " + table.qualifiedName() + " " + where + " " + orderBy)) {
            while (rows.next()) {
                ids.add(rows.getLong(1));
            }
        }
        return ids;
    }
}
