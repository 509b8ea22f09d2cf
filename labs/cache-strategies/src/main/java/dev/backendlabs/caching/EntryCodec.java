package dev.backendlabs.caching;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * JSON for cache entries, strict on the way in. A value read from Redis is decoded in full and
 * checked before anything uses it: missing fields, strings where numbers belong ({@code "12.50"}),
 * values out of range, trailing garbage and another product's data are all rejected with
 * {@link MalformedEntryException}. Unknown fields are ignored, so a newer deploy may add some;
 * an incompatible change gets a new key prefix instead.
 */
public final class EntryCodec {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private EntryCodec() {
    }

    public static String encode(CacheEntry entry) {
        try {
            return JSON.writeValueAsString(entry);
        } catch (JsonProcessingException e) {
            throw new MalformedEntryException("catalog: cannot encode " + entry, e);
        }
    }

    /**
     * The entry stored under product {@code id}'s key.
     *
     * @throws MalformedEntryException if the value is not a valid entry of that product
     */
    public static CacheEntry decode(long id, String value) {
        CacheEntry entry;
        try {
            entry = JSON.readValue(value, CacheEntry.class);
        } catch (JsonProcessingException e) {
            throw new MalformedEntryException("catalog: unreadable cache entry for product " + id + ": " + e.getOriginalMessage(), e);
        }
        if (entry == null || entry.product() != null && entry.product().id() != id) {
            throw new MalformedEntryException("catalog: the cache entry for product " + id + " holds "
                    + (entry == null ? "null" : "product " + entry.product().id()));
        }
        return entry;
    }
}
