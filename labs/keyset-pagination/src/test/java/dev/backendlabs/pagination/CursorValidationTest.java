package dev.backendlabs.pagination;

import dev.backendlabs.pagination.CursorCodec.Cursor;
import dev.backendlabs.pagination.CursorCodec.Direction;
import dev.backendlabs.pagination.InvalidCursorException.Reason;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every bad cursor is refused with a typed {@link InvalidCursorException} (HTTP 400) and runs no
 * query: the paginators here have a data source that fails the test if it is ever asked for a
 * connection. Page sizes outside 1..1000 are refused the same way; a codec, key or scope that
 * cannot work is refused when it is built.
 */
class CursorValidationTest {

    private static final byte[] SECRET = utf8("keyset-pagination test secret, at least 32 bytes");
    private static final CursorKey KEY = new CursorKey(1, SECRET);
    private static final CursorCodec CODEC = new CursorCodec(KEY);
    private static final CursorScope TENANT_A = new CursorScope("tenant-a");
    private static final PageRequest NEWEST = PageRequest.first(50);
    private static final KeysetPaginator PAGINATOR = paginator(CODEC, new FeedTable("feed", "posts"));
    private static final Cursor POSITION = new Cursor(Direction.AFTER, 1_735_689_600_000_000L, 42);
    private static final String VALID = CODEC.encode(POSITION, PAGINATOR.listing(NEWEST), TENANT_A);

    @Test
    void validCursorRoundTrips() {
        assertThat(CODEC.decode(VALID, PAGINATOR.listing(NEWEST), TENANT_A)).isEqualTo(POSITION);
        assertThat(VALID).hasSize(90).matches("[A-Za-z0-9_-]+");
    }

    @Test
    void cursorWithAnEditedIdIsRefused() {
        byte[] bytes = Base64.getUrlDecoder().decode(VALID);
        bytes[34] ^= 1; // the last byte of the row id: 42 becomes 43
        assertRefused(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes), Reason.BAD_SIGNATURE);
    }

    @Test
    void truncatedCursorIsRefused() {
        assertRefused(VALID.substring(0, VALID.length() - 10), Reason.MALFORMED);
        assertRefused(VALID.substring(0, 20), Reason.MALFORMED);
    }

    @Test
    void cursorSignedWithAnotherSecretUnderTheSameKeyIdIsRefused() {
        CursorCodec other = new CursorCodec(new CursorKey(1, utf8("another server's secret, also 32 bytes or more")));
        assertRefused(other.encode(POSITION, PAGINATOR.listing(NEWEST), TENANT_A), Reason.BAD_SIGNATURE);
    }

    @Test
    void cursorOfAKeyTheServerNoLongerHoldsIsRefused() {
        CursorCodec retiredKey = new CursorCodec(new CursorKey(0, utf8("the key this server retired, 32 bytes or more")));
        assertRefused(retiredKey.encode(POSITION, PAGINATOR.listing(NEWEST), TENANT_A), Reason.UNKNOWN_KEY);
    }

    @Test
    void cursorOfAnotherSortOrFilterIsRefused() {
        PageRequest topScoreListing = NEWEST.sortedBy(SortOrder.TOP_SCORE);
        String topScore = CODEC.encode(new Cursor(Direction.AFTER, 500, 42), PAGINATOR.listing(topScoreListing), TENANT_A);
        assertRefused(topScore, Reason.OTHER_LISTING);
        String author7 = CODEC.encode(new Cursor(Direction.AFTER, 1, 42), PAGINATOR.listing(NEWEST.byAuthor(7)), TENANT_A);
        assertRefused(author7, Reason.OTHER_LISTING);
        assertRefused(PAGINATOR, NEWEST.byAuthor(8).at(author7), TENANT_A, Reason.OTHER_LISTING);
    }

    @Test
    void cursorOfAnotherTableIsRefused() {
        KeysetPaginator archive = paginator(CODEC, new FeedTable("feed", "posts_archive"));
        assertRefused(CODEC.encode(POSITION, archive.listing(NEWEST), TENANT_A), Reason.OTHER_LISTING);
    }

    @Test
    void cursorOfTheSameTableInAnotherSchemaIsRefused() {
        KeysetPaginator schemaA = paginator(CODEC, new FeedTable("a", "posts"));
        KeysetPaginator schemaB = paginator(CODEC, new FeedTable("b", "posts"));
        String minted = CODEC.encode(POSITION, schemaA.listing(NEWEST), TENANT_A);

        assertThat(CODEC.decode(minted, schemaA.listing(NEWEST), TENANT_A)).isEqualTo(POSITION);
        assertRefused(schemaB, NEWEST.at(minted), TENANT_A, Reason.OTHER_LISTING);
    }

    @Test
    void cursorOfAnotherTenantIsRefused() {
        assertThat(CODEC.decode(VALID, PAGINATOR.listing(NEWEST), TENANT_A)).isEqualTo(POSITION);
        assertRefused(PAGINATOR, NEWEST.at(VALID), new CursorScope("tenant-b"), Reason.OTHER_SCOPE);
    }

    @Test
    void unknownDirectionIsRefused() throws Exception {
        assertRefused(signed(CursorCodec.VERSION, (byte) 7), Reason.MALFORMED);
    }

    @Test
    void garbageIsRefused() throws Exception {
        assertRefused("", Reason.MALFORMED);
        assertRefused("not a cursor!", Reason.MALFORMED);
        assertRefused("x".repeat(5_000), Reason.MALFORMED);
        byte[] unsigned = Base64.getUrlDecoder().decode(signed(CursorCodec.VERSION, (byte) 0));
        Arrays.fill(unsigned, 35, 67, (byte) 0);
        assertRefused(Base64.getUrlEncoder().withoutPadding().encodeToString(unsigned), Reason.BAD_SIGNATURE);
    }

    @Test
    void correctlySignedCursorOfAnotherVersionIsRefused() throws Exception {
        assertRefused(versionOneCursor(), Reason.UNSUPPORTED_VERSION);
        assertRefused(signed((byte) 3, (byte) 0), Reason.UNSUPPORTED_VERSION);
    }

    @Test
    void pageSizeOutside1To1000IsRefused() {
        for (int size : new int[] {0, -1, 1001, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> PAGINATOR.page(TENANT_A, PageRequest.first(size)))
                    .isInstanceOf(InvalidPageRequestException.class).hasMessageContaining("Page size must be from 1 to 1000");
        }
        assertThat(PageRequest.first(1).size()).isEqualTo(1);
        assertThat(PageRequest.first(1000).size()).isEqualTo(1000);
        assertThatThrownBy(() -> new PageRequest(10, SortOrder.NEWEST_FIRST, OptionalInt.of(0), null))
                .isInstanceOf(InvalidPageRequestException.class);
        assertThatThrownBy(() -> new PageRequest(10, null, OptionalInt.empty(), null)).isInstanceOf(InvalidPageRequestException.class);
    }

    @Test
    void keysThatCannotWorkAreRefusedWhenTheCodecIsBuilt() {
        assertThatIllegalArgumentException().isThrownBy(() -> new CursorKey(256, SECRET)).withMessageContaining("0 to 255");
        assertThatIllegalArgumentException().isThrownBy(() -> new CursorKey(-1, SECRET)).withMessageContaining("0 to 255");
        assertThatIllegalArgumentException().isThrownBy(() -> new CursorKey(2, new byte[31])).withMessageContaining("32 bytes");
        CursorKey sameId = new CursorKey(1, utf8("a second secret under key id 1, 32+ bytes"));
        assertThatIllegalArgumentException().isThrownBy(() -> new CursorCodec(KEY, sameId))
                .withMessageContaining("Two cursor keys with id 1");
        assertThat(KEY).hasToString("CursorKey[id=1]");
    }

    @Test
    void scopeMustNameATenantOrUser() {
        for (String id : new String[] {null, "", "  ", "u".repeat(201)}) {
            assertThatIllegalArgumentException().isThrownBy(() -> new CursorScope(id)).withMessageContaining("tenant or user id");
        }
        assertThatThrownBy(() -> PAGINATOR.page(null, NEWEST.at(VALID))).isInstanceOf(NullPointerException.class).hasMessage("scope");
    }

    private static void assertRefused(String cursor, Reason reason) {
        assertRefused(PAGINATOR, NEWEST.at(cursor), TENANT_A, reason);
    }

    private static void assertRefused(KeysetPaginator paginator, PageRequest request, CursorScope scope, Reason reason) {
        assertThatThrownBy(() -> paginator.page(scope, request))
                .isInstanceOfSatisfying(InvalidCursorException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageStartingWith("Invalid cursor");
    }

    /** A version-2 layout with this version and direction byte, key id 1, zero fingerprints, signed with the test key. */
    private static String signed(byte version, byte direction) throws Exception {
        ByteBuffer body = ByteBuffer.allocate(35).put(version).put((byte) 1).put(direction).put(new byte[16]).putLong(1).putLong(2);
        return withSignature(body.array());
    }

    /**
     * A cursor as version 1 minted it, signed with the same secret: {@code version(1) | direction(1) |
     * SHA-256(listing)[0..8] | key1(8) | key2(8) | HMAC-SHA256(32)}.
     */
    private static String versionOneCursor() throws Exception {
        byte[] listing = MessageDigest.getInstance("SHA-256").digest(utf8("table=posts;sort=NEWEST_FIRST;author=*"));
        ByteBuffer body = ByteBuffer.allocate(26).put((byte) 1).put((byte) 0).put(listing, 0, 8)
                .putLong(POSITION.sortValue()).putLong(POSITION.id());
        return withSignature(body.array());
    }

    private static String withSignature(byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
        byte[] token = ByteBuffer.allocate(body.length + 32).put(body).put(mac.doFinal(body)).array();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(token);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static KeysetPaginator paginator(CursorCodec codec, FeedTable table) {
        return new KeysetPaginator(noQueries(), codec, table);
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
