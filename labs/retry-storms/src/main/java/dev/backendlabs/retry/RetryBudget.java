package dev.backendlabs.retry;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * THE PATTERN: a retry budget — a token bucket that every retry spends one token from and every successful call refills
 * by {@code tokenRatio}, up to {@code maxTokens}. It starts full. Over its whole life
 * {@code retries ≤ maxTokens + tokenRatio × successful calls}, so with a ratio of 0.1 retries stay below 10 % of the
 * requests (plus the small initial burst) however the dependency fails: the Google SRE book's per-client budget, built
 * like gRPC's retry throttling and the AWS SDK's retry quota. resilience4j has no budget (its issue #172), hence this class.
 *
 * <p>Why credit successes rather than requests: when nothing succeeds — the dependency is down or drowning — the bucket
 * runs dry after {@code maxTokens} retries and the client sends its first attempts only, which is what lets an overloaded
 * service drain its queue. A budget credited per request (Finagle's) keeps adding 10 % to the load during the storm: at
 * 90 % utilisation that leaves 1 % of headroom. While the dependency is healthy, failures are rare and the bucket stays
 * full, so retries still hide transient errors. (gRPC also spends a token on every failure and stops retrying at half
 * full; this bucket spends only on retries, so its bound is exact and simple to state.)
 *
 * <p>Thread-safe and lock-free: one instance per client (per dependency), shared by all its calls. Tokens are counted in
 * millionths, so ratios like 0.1 add up exactly.
 */
public final class RetryBudget implements RetryAllowance {

    private static final long TOKEN = 1_000_000;
    private static final int MAX_TOKENS = 1_000_000;

    private final long capacity;
    private final long credit;
    private final AtomicLong tokens;
    private final LongAdder granted = new LongAdder();
    private final LongAdder denied = new LongAdder();

    /**
     * @param maxTokens  the retries the bucket holds (and starts with), from 1 to 1,000,000: the burst a client may retry
     *                   before successes pay for more (gRPC's example: 10)
     * @param tokenRatio the token each successful call earns, above 0 and at most 1, in steps of 0.000001: the share of
     *                   calls that may be retried (0.1 for the SRE book's 10 %)
     */
    public RetryBudget(int maxTokens, double tokenRatio) {
        if (maxTokens < 1 || maxTokens > MAX_TOKENS) {
            throw new IllegalArgumentException("maxTokens must be within 1 and " + MAX_TOKENS + ", got " + maxTokens);
        }
        if (!(tokenRatio >= 1.0 / TOKEN && tokenRatio <= 1)) {
            throw new IllegalArgumentException("tokenRatio must be within 0.000001 and 1, got " + tokenRatio);
        }
        this.capacity = maxTokens * TOKEN;
        this.credit = Math.round(tokenRatio * TOKEN);
        this.tokens = new AtomicLong(capacity);
    }

    // region budget
    @Override
    public boolean tryAcquireRetry() {
        long left = tokens.getAndUpdate(t -> t >= TOKEN ? t - TOKEN : t);
        if (left < TOKEN) {
            denied.increment();
            return false;
        }
        granted.increment();
        return true;
    }

    @Override
    public void onSuccess() {
        if (tokens.get() < capacity) { // a full bucket, the healthy case, costs one read and no write
            tokens.getAndUpdate(t -> Math.min(capacity, t + credit));
        }
    }
    // endregion

    /** Tokens in the bucket now: whole retries it would still allow. */
    public double tokens() {
        return (double) tokens.get() / TOKEN;
    }

    @Override
    public long retriesGranted() {
        return granted.sum();
    }

    @Override
    public long retriesDenied() {
        return denied.sum();
    }
}
