package dev.backendlabs.pagination;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

/**
 * Turns a position in a listing into an opaque, signed cursor and back.
 *
 * <p>Layout, before base64url (no padding): {@code version(1) | direction(1) | listing(8) |
 * key1(8) | key2(8) | HMAC-SHA256(32)} — 58 bytes, 78 characters. {@code listing} is the first 8
 * bytes of SHA-256 of the table, sort and filter, so a cursor minted for one listing is refused by
 * another instead of silently seeking into it. The HMAC covers everything before it and is checked
 * first, in constant time, so nothing in a forged cursor is ever trusted — not even its version.
 *
 * <p>Why sign at all: the key values are row data. Clients must not craft positions (to probe
 * rows they cannot list, or to force expensive plans), and a cursor leaked from one user's
 * listing must not resume in another's. Why a version byte: the layout will change; old cursors
 * then fail with a clear reason instead of decoding into nonsense.
 */
public final class CursorCodec {

    static final byte VERSION = 1;
    private static final int BODY = 1 + 1 + 8 + 8 + 8;
    private static final int MAC = 32;
    private static final String ALGORITHM = "HmacSHA256";

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

    /** A decoded position: the direction and the two key values of the row it is next to. */
    public record Cursor(Direction direction, long key1, long key2) {
    }

    private final SecretKeySpec key;

    /** @param secret at least 32 bytes of server-side secret; rotate it and every cursor becomes invalid */
    public CursorCodec(byte[] secret) {
        if (secret == null || secret.length < 32) {
            throw new IllegalArgumentException("The cursor secret must have at least 32 bytes");
        }
        this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
    }

    public String encode(Cursor cursor, String listing) {
        ByteBuffer buffer = ByteBuffer.allocate(BODY + MAC);
        buffer.put(VERSION).put(cursor.direction().code).put(fingerprint(listing))
                .putLong(cursor.key1()).putLong(cursor.key2());
        buffer.put(mac(Arrays.copyOf(buffer.array(), BODY)));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(buffer.array());
    }

    /**
     * @throws InvalidCursorException if the cursor is malformed, forged, of another version or of
     *                                another listing
     */
    public Cursor decode(String token, String listing) {
        if (token == null || token.isEmpty() || token.length() > 200) {
            throw new InvalidCursorException(InvalidCursorException.Reason.MALFORMED);
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            throw new InvalidCursorException(InvalidCursorException.Reason.MALFORMED);
        }
        if (bytes.length <= MAC) {
            throw new InvalidCursorException(InvalidCursorException.Reason.MALFORMED);
        }
        byte[] body = Arrays.copyOf(bytes, bytes.length - MAC);
        byte[] signature = Arrays.copyOfRange(bytes, bytes.length - MAC, bytes.length);
        if (!MessageDigest.isEqual(mac(body), signature)) {
            throw new InvalidCursorException(InvalidCursorException.Reason.BAD_SIGNATURE);
        }
        if (body[0] != VERSION) {
            throw new InvalidCursorException(InvalidCursorException.Reason.UNSUPPORTED_VERSION);
        }
        if (body.length != BODY) {
            throw new InvalidCursorException(InvalidCursorException.Reason.MALFORMED);
        }
        Direction direction = Direction.of(body[1]);
        ByteBuffer buffer = ByteBuffer.wrap(body, 2, BODY - 2);
        byte[] owner = new byte[8];
        buffer.get(owner);
        if (!MessageDigest.isEqual(owner, fingerprint(listing))) {
            throw new InvalidCursorException(InvalidCursorException.Reason.OTHER_LISTING);
        }
        return new Cursor(direction, buffer.getLong(), buffer.getLong());
    }

    private byte[] mac(byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Every JDK has " + ALGORITHM, e);
        }
    }

    private static byte[] fingerprint(String listing) {
        try {
            return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(listing.getBytes(StandardCharsets.UTF_8)), 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }
}
