package dev.backendlabs.ratelimit;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP mapping of every kind of decision, without a server. */
class RateLimitHeadersTest {

    private static final BucketPolicy POLICY = BucketPolicy.perSecond(100, 10);

    @Test
    void allowedDecisionRoundsRemainingDownAndResetUp() {
        Decision decision = new Decision(true, new BigDecimal("41.999"), -1, 5_801, Decision.Source.REDIS);

        assertThat(RateLimitHeaders.status(decision)).isEqualTo(200);
        assertThat(RateLimitHeaders.of(decision, POLICY)).containsExactly(
                java.util.Map.entry("RateLimit-Policy", "\"default\";q=100;w=10"),
                java.util.Map.entry("RateLimit", "\"default\";r=41;t=6"));
    }

    @Test
    void policyAdvertisesTheSustainedRateAsAQuotaPerWholeSecondWindow() {
        Decision decision = new Decision(true, new BigDecimal("99"), -1, 1, Decision.Source.REDIS);

        assertThat(RateLimitHeaders.of(decision, BucketPolicy.perSecond(100, 1000)))
                .containsEntry("RateLimit-Policy", "\"default\";q=1000;w=1");
        assertThat(RateLimitHeaders.of(decision, BucketPolicy.perSecond(10, 0.5)))
                .containsEntry("RateLimit-Policy", "\"default\";q=10;w=20");
        assertThat(RateLimitHeaders.of(decision, BucketPolicy.of(1, 1, java.time.Duration.ofDays(1))))
                .containsEntry("RateLimit-Policy", "\"default\";q=1;w=86400");
    }

    @Test
    void deniedDecisionGets429AndRetryAfterRoundedUpToWholeSeconds() {
        Decision decision = new Decision(false, new BigDecimal("0.2"), 80, 9_980, Decision.Source.REDIS);

        assertThat(RateLimitHeaders.status(decision)).isEqualTo(429);
        assertThat(RateLimitHeaders.of(decision, POLICY))
                .containsEntry("Retry-After", "1").containsEntry("RateLimit", "\"default\";r=0;t=10");
    }

    @Test
    void costThatCanNeverFitGets429WithoutRetryAfter() {
        Decision decision = new Decision(false, new BigDecimal("100"), -1, 0, Decision.Source.REDIS);

        assertThat(decision.canNeverSucceed()).isTrue();
        assertThat(RateLimitHeaders.status(decision)).isEqualTo(429);
        assertThat(RateLimitHeaders.of(decision, POLICY)).doesNotContainKey("Retry-After");
    }

    @Test
    void failClosedIs503AndFailOpenClaimsNoRemainingCount() {
        Decision closed = new Decision(false, BigDecimal.ZERO, -1, 0, Decision.Source.FAIL_CLOSED);
        Decision open = new Decision(true, BigDecimal.ZERO, -1, 0, Decision.Source.FAIL_OPEN);

        assertThat(RateLimitHeaders.status(closed)).isEqualTo(503);
        assertThat(RateLimitHeaders.of(closed, POLICY)).containsEntry("Retry-After", "1").doesNotContainKey("RateLimit");
        assertThat(closed.canNeverSucceed()).isFalse();
        assertThat(RateLimitHeaders.status(open)).isEqualTo(200);
        assertThat(RateLimitHeaders.of(open, POLICY)).containsOnlyKeys("RateLimit-Policy");
    }
}
