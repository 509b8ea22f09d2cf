package dev.backendlabs.circuitbreaker;

import java.util.regex.Pattern;

/**
 * A stock-keeping unit, the one input of a quote: 1 to 32 upper-case letters, digits and dashes. Validated before anything
 * else happens, so that a bad request never reaches the dependency and never counts for or against its circuit breaker.
 *
 * @param value the SKU, e.g. {@code BOOK-0042}
 */
public record Sku(String value) {

    private static final Pattern VALID = Pattern.compile("[A-Z0-9-]{1,32}");

    /**
     * @throws InvalidSkuException if {@code value} is null or not 1 to 32 of {@code A-Z 0-9 -}
     */
    public Sku {
        if (value == null || !VALID.matcher(value).matches()) {
            throw new InvalidSkuException("A SKU is 1 to 32 characters of A-Z, 0-9 and '-'");
        }
    }
}
