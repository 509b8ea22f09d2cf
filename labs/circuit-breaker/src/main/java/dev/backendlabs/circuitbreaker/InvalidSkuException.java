package dev.backendlabs.circuitbreaker;

/** A request named no SKU, or one that cannot be a SKU; the caller answers 400 and calls nothing. */
public final class InvalidSkuException extends IllegalArgumentException {

    public InvalidSkuException(String message) {
        super(message);
    }
}
