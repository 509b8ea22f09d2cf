package dev.backendlabs.ratelimit;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps a {@link Decision} onto HTTP, following the IETF httpapi draft "RateLimit header fields
 * for HTTP" and RFC 9110's {@code Retry-After}.
 *
 * <ul>
 *   <li>{@code RateLimit-Policy: "default";q=<quota>;w=<window seconds>} — the sustained rate as a
 *       quota: the window is the time to fill the bucket, rounded up to whole seconds, and the
 *       quota what refills in it ({@code floor(R × w)}, at least 1). Capacity 100 at 10/s is
 *       {@code q=100;w=10}; capacity 100 at 1,000/s is {@code q=1000;w=1}. The burst a full
 *       bucket allows on top is not expressed by the draft's quota.</li>
 *   <li>{@code RateLimit: "default";r=<remaining, rounded down>;t=<seconds until full, rounded up>}.
 *       Remaining is rounded down so a client never plans on a token that is not there.</li>
 *   <li>Denied by Redis: status 429 and {@code Retry-After} in whole seconds, rounded up (never 0,
 *       which would invite an immediate retry). A cost that can never fit gets 429 without
 *       {@code Retry-After}: waiting does not help.</li>
 *   <li>Denied because Redis was unavailable (fail-closed): 503, since the client exceeded nothing,
 *       with {@code Retry-After: 1}.</li>
 *   <li>No decision at all (the limiter failed unexpectedly): 503 with the policy and
 *       {@code Retry-After: 1}, see {@link #undecided(BucketPolicy)}.</li>
 * </ul>
 */
public final class RateLimitHeaders {

    public static final String POLICY = "RateLimit-Policy";
    public static final String RATE_LIMIT = "RateLimit";
    public static final String RETRY_AFTER = "Retry-After";
    private static final String POLICY_NAME = "\"default\"";

    private RateLimitHeaders() {
    }

    /** 200 when allowed, 429 when Redis denied, 503 when the fail-closed policy denied. */
    public static int status(Decision decision) {
        if (decision.allowed()) {
            return 200;
        }
        return decision.source() == Decision.Source.FAIL_CLOSED ? 503 : 429;
    }

    /** The response headers for {@code decision}, in a stable order. */
    public static Map<String, String> of(Decision decision, BucketPolicy policy) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(POLICY, policyField(policy));
        if (decision.source() == Decision.Source.REDIS) {
            headers.put(RATE_LIMIT, POLICY_NAME + ";r=" + decision.remaining().setScale(0, RoundingMode.FLOOR).toPlainString()
                    + ";t=" + ceilSeconds(decision.resetAfterMillis()));
        }
        if (decision.retryAfterMillis() > 0) {
            headers.put(RETRY_AFTER, Long.toString(ceilSeconds(decision.retryAfterMillis())));
        } else if (decision.source() == Decision.Source.FAIL_CLOSED) {
            headers.put(RETRY_AFTER, "1");
        }
        return headers;
    }

    /** The headers of a 503 when the limiter could not decide at all: the policy, and a retry in a second. No remaining count is known. */
    public static Map<String, String> undecided(BucketPolicy policy) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(POLICY, policyField(policy));
        headers.put(RETRY_AFTER, "1");
        return headers;
    }

    private static String policyField(BucketPolicy policy) {
        long window = Math.max(1, ceilSeconds(policy.timeToFill().toMillis()));
        long quota = Math.max(1, policy.refillPerSecond().multiply(BigDecimal.valueOf(window))
                .setScale(0, RoundingMode.FLOOR).longValueExact());
        return POLICY_NAME + ";q=" + quota + ";w=" + window;
    }

    private static long ceilSeconds(long millis) {
        return Math.ceilDiv(millis, 1000L);
    }
}
