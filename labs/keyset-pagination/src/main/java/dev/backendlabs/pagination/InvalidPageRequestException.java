package dev.backendlabs.pagination;

/** A page request that cannot be served: an HTTP layer answers 400. Nothing was queried. */
public class InvalidPageRequestException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public InvalidPageRequestException(String message) {
        super(message);
    }
}
