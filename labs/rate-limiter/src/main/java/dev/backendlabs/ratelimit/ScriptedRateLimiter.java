package dev.backendlabs.ratelimit;

import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;

/**
 * What every limiter that decides with one {@code EVALSHA} shares — the token bucket, GCRA and the
 * two sliding windows differ only in their script and its arguments: {@code SCRIPT LOAD} once, one
 * {@code EVALSHA} per decision on the caller's key, a bounded time budget, and a failure policy
 * when Redis cannot answer. Build one with the {@code builder(...)} of a subclass.
 *
 * <h2>When Redis cannot answer</h2>
 * Every blocking step of a decision — waiting for a pooled connection, connecting, reading a
 * reply — is bounded by the timeout (default 50 ms). When Redis is unreachable, hangs, or
 * answers that it cannot serve ({@code READONLY} after a failover, {@code OOM} at
 * {@code maxmemory}, {@code LOADING}, {@code BUSY}, {@code MASTERDOWN}, {@code CLUSTERDOWN},
 * {@code TRYAGAIN}, {@code MISCONF}, {@code NOREPLICAS}), or a cluster client runs out of
 * attempts, the {@link FailurePolicy} answers instead and {@link RateLimiterMetrics#redisFailures()}
 * counts it. Redis 6.2 and older wrap an error raised inside a script
 * ({@code ERR Error running script ... -READONLY ...}), so the code is recognised where Redis puts
 * it: first in the message, or right after that wrapper. Any other error reply is a bug (a key
 * holding another type, say) and is thrown.
 *
 * <p>A stopped or hung Redis costs about one timeout; a Redis that is alive but slow at every
 * step can cost a few (connect, then read, then a NOSCRIPT reload), so size the timeout for that.
 *
 * <p>On a single Redis, a connection that fails fast (refused, reset: typically a pooled
 * connection left stale by a Redis restart) is retried once if less than half the timeout is
 * spent, on a new connection (see {@link PooledScriptTarget}): the first decision after a restart
 * reaches Redis instead of the failure policy. If the reset came after Redis had run the script,
 * the retry spends the cost a second time: the limiter then errs toward denying, never toward
 * over-admitting. A cluster client follows {@code MOVED} and reconnects by itself, within the
 * same budget.
 *
 * <h2>Keys</h2>
 * The caller's key is the limit's key, whole: it is the only key the script touches, so the
 * limiter works on Redis Cluster. Never build keys from unbounded caller-controlled input.
 */
public abstract sealed class ScriptedRateLimiter implements RateLimiter, AutoCloseable
        permits TokenBucketRateLimiter, GcraRateLimiter, SlidingWindowLogRateLimiter, SlidingWindowCounterRateLimiter {

    /**
     * Error codes of a server that cannot serve right now. Matched where Redis puts the code: at the
     * start of the message, or right after the wrapper Redis 6.2 and older put around an error
     * raised inside a script, with only line positions in between:
     * {@code ERR Error running script (call to f_<sha>): @user_script:129: @user_script: 129: -READONLY You can't write...}
     * (a refusal before the command) or {@code ... @user_script:99: WRONGTYPE Operation against...} (the command's error).
     * Never anywhere else, so a code inside other text (an argument echoed in an error,
     * {@code BUSYKEY}) does not count.
     */
    private static final Pattern UNAVAILABLE = Pattern.compile(
            "^(?:ERR Error running script \\(call to f_[0-9a-f]+\\):(?: @user_script: ?\\d+:)* -?)?"
                    + "(?:READONLY|OOM|LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|MISCONF|NOREPLICAS)(?![A-Z])");

    private final LuaScript script;
    private final ScriptTarget target;
    private final FailurePolicy failurePolicy;
    private final long budgetNanos;
    private final long capacity;
    private final List<String> policyArgs;
    private final RateLimiterMetrics metrics = new RateLimiterMetrics();

    /**
     * @param capacity   the most a caller can hold or spend at once, for {@link RateLimiterMetrics#nearLimit()}
     * @param policyArgs the script's arguments before the cost
     */
    ScriptedRateLimiter(LuaScript script, RateLimiterBuilder.Settings settings, long capacity, List<String> policyArgs) {
        this.script = script;
        this.target = settings.target();
        this.failurePolicy = settings.failurePolicy();
        this.budgetNanos = settings.timeout().toNanos();
        this.capacity = capacity;
        this.policyArgs = List.copyOf(policyArgs);
        target.load(script);
    }

    public RateLimiterMetrics metrics() {
        return metrics;
    }

    /**
     * Spends {@code cost} from the limit of {@code key} if it allows it. Cost 0 peeks without
     * changing anything; a cost the limit can never allow is denied with {@link Decision#canNeverSucceed()}.
     *
     * @throws RateLimitArgumentException for a blank key or a negative cost, before any round trip
     * @throws JedisException              for an error reply that is not unavailability: a bug, such as
     *                                     a key that holds another type
     */
    @Override
    public Decision tryAcquire(String key, long cost) {
        RateLimitArgumentException.checkRequest(key, cost);
        checkCost(cost);
        List<String> args = new ArrayList<>(policyArgs.size() + 1);
        args.addAll(policyArgs);
        args.add(Long.toString(cost));
        long start = System.nanoTime();
        try {
            Decision decision = evaluate(key, args, start);
            metrics.recordDecision(decision, capacity);
            return decision;
        } catch (JedisConnectionException e) {
            return fallback();
        } catch (JedisException e) {
            if (isUnavailable(e)) {
                return fallback();
            }
            throw e;
        }
    }

    /** A limiter whose script takes a narrower range of costs checks it here, before any round trip. */
    void checkCost(long cost) {
    }

    private Decision evaluate(String key, List<String> args, long start) {
        try {
            return parse(target.run(script, key, args, metrics::recordScriptReload));
        } catch (JedisConnectionException e) {
            if (!target.recover() || System.nanoTime() - start >= budgetNanos / 2) {
                throw e;
            }
            return parse(target.run(script, key, args, metrics::recordScriptReload));
        }
    }

    /**
     * Pool exhaustion (no connection within the timeout), a cluster client out of attempts or past
     * its deadline, and error replies of a server that cannot serve right now are unavailability,
     * handled by the failure policy; other errors are bugs.
     */
    static boolean isUnavailable(JedisException e) {
        if (e.getCause() instanceof NoSuchElementException || e instanceof JedisClusterOperationException && isOutOfAttempts(e)) {
            return true;
        }
        return e.getMessage() != null && UNAVAILABLE.matcher(e.getMessage()).find();
    }

    /** Jedis' words when its cluster retries are spent; the same exception type also reports a client-side CROSSSLOT, a bug. */
    private static boolean isOutOfAttempts(JedisException e) {
        String message = e.getMessage();
        return message != null
                && (message.startsWith("No more cluster attempts left") || message.startsWith("Cluster retry deadline exceeded"));
    }

    private Decision fallback() {
        metrics.recordFallback(failurePolicy);
        boolean open = failurePolicy == FailurePolicy.FAIL_OPEN;
        return new Decision(open, BigDecimal.ZERO, -1, 0, open ? Decision.Source.FAIL_OPEN : Decision.Source.FAIL_CLOSED);
    }

    /** The reply every script of the lab gives: {@code {allowed 1/0, remaining as a decimal string, retry_after_ms, reset_after_ms}}. */
    static Decision parse(Object reply) {
        List<?> values = (List<?>) reply;
        return new Decision(
                ((Long) values.get(0)) == 1L,
                new BigDecimal((String) values.get(1)),
                (Long) values.get(2),
                (Long) values.get(3),
                Decision.Source.REDIS);
    }

    /** Closes the connections if the limiter created them; a pool or cluster passed in stays open. */
    @Override
    public void close() {
        target.close();
    }
}
