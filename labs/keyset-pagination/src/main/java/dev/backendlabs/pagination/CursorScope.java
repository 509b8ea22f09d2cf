package dev.backendlabs.pagination;

/**
 * Whom a cursor is for: the tenant or user the listing is served to, taken from the server's
 * authentication, never from the request. A cursor minted in one scope is refused in every other
 * ({@link InvalidCursorException.Reason#OTHER_SCOPE}), so a cursor that leaks — into a log, a
 * shared link, another tenant's hands — does not resume anyone else's listing.
 *
 * <p>A type rather than a string so that it cannot be swapped with the listing fingerprint, which
 * is a string too.
 *
 * @param id the tenant or user id, as the server knows it (not blank, at most 200 characters)
 */
public record CursorScope(String id) {

    public CursorScope {
        if (id == null || id.isBlank() || id.length() > 200) {
            throw new IllegalArgumentException("A cursor scope is a tenant or user id of 1 to 200 non-blank characters");
        }
    }
}
