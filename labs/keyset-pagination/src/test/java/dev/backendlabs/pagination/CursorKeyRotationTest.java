package dev.backendlabs.pagination;

import dev.backendlabs.pagination.InvalidCursorException.Reason;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Rotating the cursor secret while a reader pages through the 100,000-row feed, in the three
 * steps a fleet of servers takes:
 *
 * <ol>
 *   <li><b>learn</b>: every server holds the new key as a previous (verify-only) key and still signs
 *       with the old one, so no server meets a cursor it cannot verify once the first one signs
 *       with the new key;</li>
 *   <li><b>sign</b>: every server signs with the new key and keeps the old one to verify;</li>
 *   <li><b>retire</b>: the old key is dropped.</li>
 * </ol>
 *
 * A cursor minted before the rotation resumes its listing at the same rows through steps 1 and 2
 * and is refused with {@code UNKNOWN_KEY} after step 3; cursors minted from step 2 on carry the
 * new key id and are read by servers at every step, even one that never held the old key.
 */
@Lab
class CursorKeyRotationTest {

    private static final CursorKey OLD = new CursorKey(1, "the secret before the rotation, 32+ bytes".getBytes(StandardCharsets.UTF_8));
    private static final CursorKey NEW = new CursorKey(2, "the secret after the rotation, 32+ bytes".getBytes(StandardCharsets.UTF_8));
    private static final PageRequest NEWEST = PageRequest.first(50);

    private static FeedTable table;

    @BeforeAll
    static void createTable() throws SQLException {
        table = FeedFixture.small();
    }

    @Test
    void cursorsResumeThroughARotationAndAreRefusedOnceTheirKeyIsRetired() {
        KeysetPaginator before = paginator(new CursorCodec(OLD));
        KeysetPaginator learn = paginator(new CursorCodec(OLD, NEW));
        KeysetPaginator sign = paginator(new CursorCodec(NEW, OLD));
        KeysetPaginator retire = paginator(new CursorCodec(NEW));

        Page<Post> first = before.page(FeedFixture.READER, NEWEST);
        Page<Post> second = before.page(FeedFixture.READER, NEWEST.at(first.nextCursor()));
        List<Post> third = before.page(FeedFixture.READER, NEWEST.at(second.nextCursor())).items();
        String oldCursor = first.nextCursor();
        assertThat(keyId(oldCursor)).isEqualTo(OLD.id());

        assertThat(learn.page(FeedFixture.READER, NEWEST.at(oldCursor)).items()).as("step 1, old cursor").isEqualTo(second.items());
        Page<Post> resumed = sign.page(FeedFixture.READER, NEWEST.at(oldCursor));
        assertThat(resumed.items()).as("step 2, old cursor").isEqualTo(second.items());

        String newCursor = resumed.nextCursor();
        assertThat(keyId(newCursor)).as("cursors minted after the rotation").isEqualTo(NEW.id());
        assertThat(learn.page(FeedFixture.READER, NEWEST.at(newCursor)).items()).as("step 1, new cursor").isEqualTo(third);
        assertThat(retire.page(FeedFixture.READER, NEWEST.at(newCursor)).items()).as("step 3, new cursor").isEqualTo(third);
        assertRefused(before, newCursor);

        assertRefused(retire, oldCursor);
    }

    private static KeysetPaginator paginator(CursorCodec codec) {
        return new KeysetPaginator(FeedFixture.dataSource(), codec, table);
    }

    /** The key id byte of a cursor (layout in {@link CursorCodec}). */
    private static int keyId(String cursor) {
        return Base64.getUrlDecoder().decode(cursor)[1] & 0xFF;
    }

    private static void assertRefused(KeysetPaginator paginator, String cursor) {
        assertThatThrownBy(() -> paginator.page(FeedFixture.READER, NEWEST.at(cursor)))
                .isInstanceOfSatisfying(InvalidCursorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_KEY))
                .hasMessage("Invalid cursor (unknown key): start again from the first page");
    }
}
