package dev.backendlabs.ratelimit;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A filter for the JDK's {@code HttpServer}: one decision per request, the headers of
 * {@link RateLimitHeaders} on every response, and the request stopped with 429 (or 503 when
 * failing closed) instead of reaching the handler.
 *
 * <p>Every request gets an answer. A blank key (the request does not say whose it is) gets 400.
 * Any other failure — a limiter error that is not unavailability, such as a key holding another
 * type, or a key function that throws — is logged and answered 503 with the policy and
 * {@code Retry-After: 1}: an exception escaping a filter would make {@code HttpServer} drop the
 * connection without any response, which clients see as a network fault and retry at once.
 *
 * <p>The key function decides whose bucket a request spends from. Derive it from an
 * authenticated identity (API key, account) rather than raw caller input: a key the caller can
 * vary freely gives each request a fresh, full bucket and grows Redis without bound.
 */
public final class RateLimitingFilter extends Filter {

    private static final System.Logger LOG = System.getLogger(RateLimitingFilter.class.getName());

    private final TokenBucketRateLimiter limiter;
    private final Function<HttpExchange, String> keyOf;

    public RateLimitingFilter(TokenBucketRateLimiter limiter, Function<HttpExchange, String> keyOf) {
        this.limiter = Objects.requireNonNull(limiter, "limiter");
        this.keyOf = Objects.requireNonNull(keyOf, "keyOf");
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        Decision decision;
        try {
            decision = limiter.tryAcquire(keyOf.apply(exchange));
        } catch (RateLimitArgumentException e) {
            respond(exchange, 400, Map.of());
            return;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Rate limiter failed; answering 503 to " + exchange.getRequestURI(), e);
            respond(exchange, 503, RateLimitHeaders.undecided(limiter.policy()));
            return;
        }
        Map<String, String> headers = RateLimitHeaders.of(decision, limiter.policy());
        if (decision.allowed()) {
            headers.forEach(exchange.getResponseHeaders()::add);
            chain.doFilter(exchange);
            return;
        }
        respond(exchange, RateLimitHeaders.status(decision), headers);
    }

    private static void respond(HttpExchange exchange, int status, Map<String, String> headers) throws IOException {
        headers.forEach(exchange.getResponseHeaders()::add);
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    @Override
    public String description() {
        return "token-bucket rate limit " + limiter.policy();
    }
}
