package dev.backendlabs.idempotency;

import java.util.Map;

/**
 * A request refused before anything is stored or charged: a missing or malformed key, a body that
 * is too large or not the JSON the endpoint takes, no tenant, a wrong method. It carries the
 * problem the client gets, so that every such refusal has a status, a type and a reason.
 */
public final class InvalidRequestException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String title;
    private final transient Map<String, String> headers;

    public InvalidRequestException(int status, String type, String title, String detail) {
        this(status, type, title, detail, Map.of());
    }

    public InvalidRequestException(int status, String type, String title, String detail, Map<String, String> headers) {
        super(detail);
        this.status = status;
        this.type = type;
        this.title = title;
        this.headers = Map.copyOf(headers);
    }

    /** The problem type slug, e.g. {@code idempotency-key-missing}. */
    public String type() {
        return type;
    }

    public int status() {
        return status;
    }

    /** The {@code application/problem+json} answer. */
    public ApiResponse problem() {
        return ApiResponse.problem(status, type, title, getMessage(), headers);
    }
}
