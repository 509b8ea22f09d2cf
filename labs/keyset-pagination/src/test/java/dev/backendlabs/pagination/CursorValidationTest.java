package dev.backendlabs.pagination;

import dev.backendlabs.pagination.CursorCodec.Cursor;
import dev.backendlabs.pagination.CursorCodec.Direction;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every bad cursor is refused with a typed {@link InvalidCursorException} (HTTP 400) and runs no
 * query: the paginator here has a data source that fails the test if it is ever asked for a
 * connection. Page sizes outside 1..1000 are refused the same way.
 */
class CursorValidationTest {

    private static final byte[] SECRET = "keyset-pagination test secret, at least 32 bytes".getBytes(StandardCharsets.UTF_8);
    private static final CursorCodec CODEC = new CursorCodec(SECRET);
    private static final PageRequest NEWEST = PageRequest.first(50);
    private static final KeysetPaginator PAGINATOR = new KeysetPaginator(noQueries(), CODEC, new FeedTable("posts"));
    private static final String VALID = CODEC.encode(new Cursor(Direction.AFTER, 1_735_689_600_000_000L, 42), PAGINATOR.listing(NEWEST));

    private final KeysetPaginator paginator = PAGINATOR;

    @Test
    void validCursorRoundTrips() {
        assertThat(CODEC.decode(VALID, paginator.listing(NEWEST))).isEqualTo(new Cursor(Direction.AFTER, 1_735_689_600_000_000L, 42));
        assertThat(VALID).hasSize(78).matches("[A-Za-z0-9_-]+");
    }

    @Test
    void tamperedCursorIsRefused() {
        char[] chars = VALID.toCharArray();
        chars[30] = chars[30] == 'A' ? 'B' : 'A';
        assertRefused(new String(chars), InvalidCursorException.Reason.BAD_SIGNATURE);
    }

    @Test
    void truncatedCursorIsRefused() {
        assertRefused(VALID.substring(0, VALID.length() - 10), InvalidCursorException.Reason.BAD_SIGNATURE);
        assertRefused(VALID.substring(0, 20), InvalidCursorException.Reason.MALFORMED);
    }

    @Test
    void cursorSignedWithAnotherSecretIsRefused() {
        CursorCodec other = new CursorCodec("another server's secret, also 32 bytes or more".getBytes(StandardCharsets.UTF_8));
        assertRefused(other.encode(new Cursor(Direction.AFTER, 1, 2), paginator.listing(NEWEST)), InvalidCursorException.Reason.BAD_SIGNATURE);
    }

    @Test
    void cursorOfAnotherSortOrFilterIsRefused() {
        String topScore = CODEC.encode(new Cursor(Direction.AFTER, 500, 42), paginator.listing(NEWEST.sortedBy(SortOrder.TOP_SCORE)));
        assertRefused(topScore, InvalidCursorException.Reason.OTHER_LISTING);
        String author7 = CODEC.encode(new Cursor(Direction.AFTER, 1, 42), paginator.listing(NEWEST.byAuthor(7)));
        assertRefused(author7, InvalidCursorException.Reason.OTHER_LISTING);
        assertThatThrownBy(() -> paginator.page(NEWEST.byAuthor(8).at(author7)))
                .isInstanceOfSatisfying(InvalidCursorException.class, e -> assertThat(e.reason()).isEqualTo(InvalidCursorException.Reason.OTHER_LISTING));
    }

    @Test
    void cursorOfAnotherTableIsRefused() {
        KeysetPaginator archive = new KeysetPaginator(noQueries(), CODEC, new FeedTable("posts_archive"));
        assertRefused(CODEC.encode(new Cursor(Direction.AFTER, 1, 42), archive.listing(NEWEST)), InvalidCursorException.Reason.OTHER_LISTING);
    }

    @Test
    void unknownDirectionIsRefused() throws Exception {
        assertRefused(signed((byte) 1, (byte) 7), InvalidCursorException.Reason.MALFORMED);
    }

    @Test
    void garbageIsRefused() {
        assertRefused("", InvalidCursorException.Reason.MALFORMED);
        assertRefused("not a cursor!", InvalidCursorException.Reason.MALFORMED);
        assertRefused("x".repeat(5_000), InvalidCursorException.Reason.MALFORMED);
        assertRefused(Base64.getUrlEncoder().encodeToString(new byte[58]), InvalidCursorException.Reason.BAD_SIGNATURE);
    }

    @Test
    void correctlySignedCursorOfAnotherVersionIsRefused() throws Exception {
        assertRefused(signed((byte) 2, (byte) 0), InvalidCursorException.Reason.UNSUPPORTED_VERSION);
    }

    /** A cursor body with this version and direction byte, signed with the server's secret. */
    private static String signed(byte version, byte direction) throws Exception {
        ByteBuffer body = ByteBuffer.allocate(26).put(version).put(direction).put(new byte[8]).putLong(1).putLong(2);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
        byte[] signature = mac.doFinal(body.array());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(ByteBuffer.allocate(58).put(body.array()).put(signature).array());
    }

    @Test
    void pageSizeOutside1To1000IsRefused() {
        for (int size : new int[] {0, -1, 1001, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> paginator.page(PageRequest.first(size)))
                    .isInstanceOf(InvalidPageRequestException.class).hasMessageContaining("Page size must be from 1 to 1000");
        }
        assertThat(PageRequest.first(1).size()).isEqualTo(1);
        assertThat(PageRequest.first(1000).size()).isEqualTo(1000);
        assertThatThrownBy(() -> new PageRequest(10, SortOrder.NEWEST_FIRST, OptionalInt.of(0), null))
                .isInstanceOf(InvalidPageRequestException.class);
        assertThatThrownBy(() -> new PageRequest(10, null, OptionalInt.empty(), null)).isInstanceOf(InvalidPageRequestException.class);
    }

    private void assertRefused(String cursor, InvalidCursorException.Reason reason) {
        assertThatThrownBy(() -> paginator.page(NEWEST.at(cursor)))
                .isInstanceOfSatisfying(InvalidCursorException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageStartingWith("Invalid cursor");
    }

    /** A data source that fails the test if anything asks it for a connection. */
    private static DataSource noQueries() {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getLogWriter")) {
                        return new PrintWriter(System.err);
                    }
                    throw new AssertionError("A query was attempted: DataSource." + method.getName());
                });
    }
}
