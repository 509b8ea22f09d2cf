package dev.backendlabs.idempotency;

import java.util.Objects;

/**
 * What a client key is unique within: the tenant (the authenticated caller), the method, the route
 * template and the key. The same key sent by another tenant, or to another endpoint, is another key:
 * a global key space would let one caller's key replay another caller's answer.
 */
public record KeyScope(String tenant, String method, String route, String key) {

    public KeyScope {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(key, "key");
    }
}
