package dev.backendlabs.ratelimit;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.util.Objects;
import java.util.function.Function;

/**
 * A filter for the JDK's {@code HttpServer}: one decision per request, the headers of
 * {@link RateLimitHeaders} on every response, and the request stopped with 429 (or 503 when
 * failing closed) instead of reaching the handler.
 *
 * <p>The key function decides whose bucket a request spends from. Derive it from an
 * authenticated identity (API key, account) rather than raw caller input: a key the caller can
 * vary freely gives each request a fresh, full bucket and grows Redis without bound.
 */
public final class RateLimitingFilter extends Filter {

    private final TokenBucketRateLimiter limiter;
    private final Function<HttpExchange, String> keyOf;

    public RateLimitingFilter(TokenBucketRateLimiter limiter, Function<HttpExchange, String> keyOf) {
        this.limiter = Objects.requireNonNull(limiter, "limiter");
        this.keyOf = Objects.requireNonNull(keyOf, "keyOf");
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        Decision decision = limiter.tryAcquire(keyOf.apply(exchange));
        RateLimitHeaders.of(decision, limiter.policy()).forEach(exchange.getResponseHeaders()::add);
        if (decision.allowed()) {
            chain.doFilter(exchange);
            return;
        }
        exchange.sendResponseHeaders(RateLimitHeaders.status(decision), -1);
        exchange.close();
    }

    @Override
    public String description() {
        return "token-bucket rate limit " + limiter.policy();
    }
}
