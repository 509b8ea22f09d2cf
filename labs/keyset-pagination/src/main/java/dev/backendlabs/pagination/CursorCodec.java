package dev.backendlabs.pagination;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Turns a position in a listing into an opaque, signed cursor and back, bound to one listing and
 * one scope (tenant or user), under keys that can be rotated.
 *
 * <p>Layout, before base64url (no padding) — 67 bytes, 90 characters:
 * <pre>
 * version(1) | key id(1) | direction(1) | listing(8) | scope(8) | sort value(8) | id(8) | HMAC-SHA256(32)
 * </pre>
 * {@code listing} fingerprints the schema, table, sort and filter, and {@code scope} the tenant or
 * user the cursor was minted for (both keyed, see {@link CursorKey#fingerprint}), so a cursor is
 * refused by any other listing or scope instead of seeking into it. The HMAC covers everything
 * before it, under the key that {@code key id} names.
 *
 * <p>Decoding reads the version and the key id first, only to know how to verify the rest: a
 * cursor of another version or of a key this codec does not hold is refused right there. Then the
 * HMAC is compared in constant time, and nothing else in the token is used before it matches.
 *
 * <p>Why sign at all: the key values are row data. Clients must not craft positions (to probe
 * rows they cannot list, or to force expensive plans). Why a version byte: the layout changes
 * (version 1 had neither key id nor scope); old cursors then fail with a clear reason instead of
 * decoding into nonsense. Why a key id: a secret has to be replaced some day, and cursors in
 * flight should survive it — the codec signs with its current key and still verifies with the
 * previous keys it holds, until one is retired (dropped from the list).
 */
public final class CursorCodec {

    static final byte VERSION = 2;
    private static final int BODY = 1 + 1 + 1 + 8 + 8 + 8 + 8;
    private static final int MAC = 32;
    private static final int MAX_TOKEN_CHARS = 200;

    /** Which side of the key a page lies: after it (next page) or before it (previous page). */
    public enum Direction {
        AFTER(0),
        BEFORE(1);

        /** The byte in the cursor: explicit, so reordering the enum never changes what old cursors mean. */
        private final byte code;

        Direction(int code) {
            this.code = (byte) code;
        }

        static Direction of(byte code) {
            for (Direction direction : values()) {
                if (direction.code == code) {
                    return direction;
                }
            }
            throw new InvalidCursorException(InvalidCursorException.Reason.MALFORMED);
        }
    }

    /**
     * A decoded position: the direction, and the row it is next to, by its sort value (microseconds
     * of {@code created_at}, or the score) and its id.
     */
    public record Cursor(Direction direction, long sortValue, long id) {
    }

    private final CursorKey current;
    private final Map<Integer, CursorKey> keys;

    /**
     * @param current  signs every new cursor (and verifies them)
     * @param previous keys that only verify: the cursors they signed before a rotation keep working
     *                 until the key is removed from this list, then fail with {@code UNKNOWN_KEY}
     * @throws IllegalArgumentException if two keys share an id
     */
    public CursorCodec(CursorKey current, CursorKey... previous) {
        this.current = Objects.requireNonNull(current, "current key");
        Map<Integer, CursorKey> byId = new HashMap<>();
        byId.put(current.id(), current);
        for (CursorKey key : previous) {
            if (byId.putIfAbsent(Objects.requireNonNull(key, "previous key").id(), key) != null) {
                throw new IllegalArgumentException("Two cursor keys with id " + key.id() + ": a cursor could not say which one signed it");
            }
        }
        this.keys = Map.copyOf(byId);
    }

    /** A cursor for {@code listing} and {@code scope}, signed with the current key. */
    public String encode(Cursor cursor, String listing, CursorScope scope) {
        Objects.requireNonNull(listing, "listing");
        ByteBuffer buffer = ByteBuffer.allocate(BODY + MAC);
        buffer.put(VERSION).put((byte) current.id()).put(cursor.direction().code)
                .put(current.fingerprint("listing", listing)).put(current.fingerprint("scope", scope.id()))
                .putLong(cursor.sortValue()).putLong(cursor.id());
        buffer.put(current.mac(Arrays.copyOf(buffer.array(), BODY)));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(buffer.array());
    }

    /**
     * @throws InvalidCursorException if the cursor is malformed, of another version, signed by a key
     *                                this codec does not hold, forged, or of another listing or scope
     */
    public Cursor decode(String token, String listing, CursorScope scope) {
        Objects.requireNonNull(listing, "listing");
        Objects.requireNonNull(scope, "scope");
        byte[] bytes = base64(token);
        if (bytes[0] != VERSION) {
            throw new InvalidCursorException(InvalidCursorException.Reason.UNSUPPORTED_VERSION);
        }
        if (bytes.length != BODY + MAC) {
            throw new InvalidCursorException(InvalidCursorException.Reason.MALFORMED);
        }
        CursorKey key = keys.get(bytes[1] & 0xFF);
        if (key == null) {
            throw new InvalidCursorException(InvalidCursorException.Reason.UNKNOWN_KEY);
        }
        byte[] body = Arrays.copyOf(bytes, BODY);
        if (!MessageDigest.isEqual(key.mac(body), Arrays.copyOfRange(bytes, BODY, BODY + MAC))) {
            throw new InvalidCursorException(InvalidCursorException.Reason.BAD_SIGNATURE);
        }
        Direction direction = Direction.of(body[2]);
        ByteBuffer fields = ByteBuffer.wrap(body, 3, BODY - 3);
        if (!next8BytesEqual(fields, key.fingerprint("listing", listing))) {
            throw new InvalidCursorException(InvalidCursorException.Reason.OTHER_LISTING);
        }
        if (!next8BytesEqual(fields, key.fingerprint("scope", scope.id()))) {
            throw new InvalidCursorException(InvalidCursorException.Reason.OTHER_SCOPE);
        }
        return new Cursor(direction, fields.getLong(), fields.getLong());
    }

    /** The token's bytes; a non-empty base64 string decodes to at least one byte. */
    private static byte[] base64(String token) {
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
            throw new InvalidCursorException(InvalidCursorException.Reason.MALFORMED);
        }
        try {
            return Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            throw new InvalidCursorException(InvalidCursorException.Reason.MALFORMED);
        }
    }

    private static boolean next8BytesEqual(ByteBuffer fields, byte[] expected) {
        byte[] actual = new byte[8];
        fields.get(actual);
        return MessageDigest.isEqual(actual, expected);
    }
}
