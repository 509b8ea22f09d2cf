package dev.backendlabs.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * What "the same request" means: SHA-256 of the method, the route template and the canonical JSON
 * body. A key reused with another fingerprint is a client bug (422), never a replay of someone
 * else's answer. The canonical body is kept beside it: the completer finishes a request from it.
 *
 * @param sha256        the digest stored with the key
 * @param canonicalBody the body in {@link CanonicalJson} form
 */
public record Fingerprint(byte[] sha256, String canonicalBody) {

    public static Fingerprint of(KeyScope scope, String canonicalBody) {
        MessageDigest digest = digest();
        for (String part : new String[] {scope.method(), scope.route(), canonicalBody}) {
            digest.update(part.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);  // a separator no part contains, so "a" + "bc" differs from "ab" + "c"
        }
        return new Fingerprint(digest.digest(), canonicalBody);
    }

    /** Whether a stored fingerprint is this one. */
    public boolean matches(byte[] stored) {
        return MessageDigest.isEqual(sha256, stored);
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }
}
