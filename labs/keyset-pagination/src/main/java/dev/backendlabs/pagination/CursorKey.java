package dev.backendlabs.pagination;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * One HMAC-SHA256 key for cursors: a one-byte id, written into every cursor the key signs, and a
 * server-side secret. The id is what makes rotation possible: a codec holds the current key and
 * the previous ones, and verifies each cursor with the key its id names instead of trying them
 * all. Ids are compared, never ordered, so any scheme works (1, 2, 3 …); an id must not name two
 * secrets that are both still held.
 */
public final class CursorKey {

    static final int MIN_SECRET_BYTES = 32;
    private static final String ALGORITHM = "HmacSHA256";

    private final int id;
    private final SecretKeySpec secret;

    /**
     * @param id     0 to 255: one byte in the cursor
     * @param secret at least {@value #MIN_SECRET_BYTES} bytes, the length of the HMAC-SHA256 output (RFC 2104
     *               advises no shorter); copied
     */
    public CursorKey(int id, byte[] secret) {
        if (id < 0 || id > 255) {
            throw new IllegalArgumentException("A cursor key id is one byte, 0 to 255, got " + id);
        }
        if (secret == null || secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("A cursor secret must have at least " + MIN_SECRET_BYTES + " bytes");
        }
        this.id = id;
        this.secret = new SecretKeySpec(secret, ALGORITHM);
    }

    public int id() {
        return id;
    }

    /** HMAC-SHA256 of {@code bytes} under this key. */
    byte[] mac(byte[] bytes) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(secret);
            return mac.doFinal(bytes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Every JDK has " + ALGORITHM, e);
        }
    }

    /**
     * The first 8 bytes of the HMAC of {@code kind:value}: what a cursor carries of its listing and
     * scope. Keyed, so a cursor does not reveal whose it is to anyone who can guess user ids and
     * hash them; {@code kind} keeps a listing and a scope with the same text apart.
     */
    byte[] fingerprint(String kind, String value) {
        return Arrays.copyOf(mac((kind + ':' + value).getBytes(StandardCharsets.UTF_8)), 8);
    }

    /** The id only: a key's secret never reaches a log. */
    @Override
    public String toString() {
        return "CursorKey[id=" + id + "]";
    }
}
