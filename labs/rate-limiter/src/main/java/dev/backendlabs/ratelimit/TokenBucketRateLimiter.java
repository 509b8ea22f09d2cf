package dev.backendlabs.ratelimit;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * THE PATTERN: a token-bucket rate limiter whose every decision is one {@code EVALSHA} of
 * {@code token_bucket.lua}: read, refill, decide and write happen atomically on the server, on
 * one key, with the server's clock. No interleaving of clients can over-admit, and no client
 * clock can skew the refill.
 *
 * <pre>{@code
 * try (TokenBucketRateLimiter limiter = TokenBucketRateLimiter.builder(BucketPolicy.perSecond(100, 50))
 *         .redis(new HostAndPort("127.0.0.1", 6379))
 *         .failurePolicy(FailurePolicy.FAIL_OPEN)
 *         .build()) {
 *     Decision decision = limiter.tryAcquire("api:{customer-42}");
 * }
 * }</pre>
 *
 * <h2>When Redis cannot answer</h2>
 * Every blocking step of a decision — waiting for a pooled connection, connecting, reading a
 * reply — is bounded by the timeout (default 50 ms). When Redis is unreachable, hangs, or
 * answers that it cannot serve ({@code READONLY} after a failover, {@code OOM} at
 * {@code maxmemory}, {@code LOADING}, {@code BUSY}, {@code MASTERDOWN}, {@code CLUSTERDOWN},
 * {@code TRYAGAIN}, {@code MISCONF}, {@code NOREPLICAS}), the {@link FailurePolicy} answers
 * instead and {@link RateLimiterMetrics#redisFailures()} counts it. Redis 6.2 and older wrap an
 * error raised inside a script ({@code ERR Error running script ... -READONLY ...}), so the code
 * is recognised where Redis puts it: first in the message, or right after that wrapper. Any other
 * error reply is a bug (a key holding another type, say) and is thrown.
 *
 * <p>A stopped or hung Redis costs about one timeout; a Redis that is alive but slow at every
 * step can cost a few (connect, then read, then a NOSCRIPT reload), so size the timeout for that.
 *
 * <p>A connection that fails fast (refused, reset: typically a pooled connection left stale by a
 * Redis restart) is retried once if less than half the timeout is spent. Every idle connection
 * in the pool was opened before the same restart, so the pool's idle connections are cleared
 * first and the retry runs on a new one: the first decision after a restart reaches Redis instead
 * of the failure policy. If the reset came after Redis had run the script, the retry spends the
 * cost a second time: the limiter then errs toward denying, never toward over-admitting.
 *
 * <h2>Keys</h2>
 * The caller's key is the bucket's key, whole: it is the only key the script touches, so the
 * limiter works on Redis Cluster. Never build keys from unbounded caller-controlled input.
 */
public final class TokenBucketRateLimiter implements RateLimiter, AutoCloseable {

    static final String SCRIPT_RESOURCE = "token_bucket.lua";
    private static final LuaScript SCRIPT = LuaScript.fromClasspath(SCRIPT_RESOURCE);

    private final BucketPolicy policy;
    private final JedisPool pool;
    private final boolean ownsPool;
    private final FailurePolicy failurePolicy;
    private final long budgetNanos;
    private final List<String> policyArgs;
    private final RateLimiterMetrics metrics = new RateLimiterMetrics();

    private TokenBucketRateLimiter(Builder builder) {
        this.policy = builder.policy;
        this.failurePolicy = builder.failurePolicy;
        this.budgetNanos = builder.timeout.toNanos();
        this.ownsPool = builder.pool == null;
        this.pool = ownsPool ? newPool(builder.address, builder.timeout, builder.maxConnections) : builder.pool;
        this.policyArgs = List.of(Long.toString(policy.capacity()), policy.rateArgument());
        loadScript();
    }

    public static Builder builder(BucketPolicy policy) {
        return new Builder(policy);
    }

    private static JedisPool newPool(HostAndPort address, Duration timeout, int maxConnections) {
        int millis = Math.toIntExact(Math.max(1, timeout.toMillis()));
        JedisPoolConfig config = new JedisPoolConfig();
        config.setMaxTotal(maxConnections);
        config.setMaxIdle(maxConnections);
        config.setMaxWait(timeout);
        return new JedisPool(config, address, DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis)
                .build());
    }

    /** SCRIPT LOAD at start; if Redis is down now, the first decision loads it (NOSCRIPT path). */
    private void loadScript() {
        try (Jedis jedis = pool.getResource()) {
            SCRIPT.load(jedis);
        } catch (JedisException e) {
            // Not fatal: a limiter must start even while Redis is away.
        }
    }

    public BucketPolicy policy() {
        return policy;
    }

    public RateLimiterMetrics metrics() {
        return metrics;
    }

    /**
     * Spends {@code cost} tokens from bucket {@code key} if it has them. Cost 0 peeks without
     * changing anything; a cost above capacity is denied with {@link Decision#canNeverSucceed()}.
     *
     * @throws RateLimitArgumentException for a blank key or a negative cost, before any round trip
     * @throws JedisException              for an error reply that is not unavailability: a bug, such as
     *                                     a key that holds another type
     */
    @Override
    public Decision tryAcquire(String key, long cost) {
        validate(key, cost);
        List<String> keys = List.of(key);
        List<String> args = List.of(policyArgs.get(0), policyArgs.get(1), Long.toString(cost));
        long start = System.nanoTime();
        try {
            Decision decision = evaluate(keys, args, start);
            metrics.recordDecision(decision, policy.capacity());
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

    private Decision evaluate(List<String> keys, List<String> args, long start) {
        try {
            return runOnce(keys, args);
        } catch (JedisConnectionException e) {
            // The failed connection is already destroyed; the idle ones date from before the same outage.
            pool.clear();
            if (System.nanoTime() - start >= budgetNanos / 2) {
                throw e;
            }
            return runOnce(keys, args);
        }
    }

    private Decision runOnce(List<String> keys, List<String> args) {
        try (Jedis jedis = pool.getResource()) {
            return parse(SCRIPT.run(jedis, keys, args, metrics::recordScriptReload));
        }
    }

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

    /**
     * Pool exhaustion (no connection within the timeout) and error replies of a server that cannot
     * serve right now are unavailability, handled by the failure policy; other errors are bugs.
     */
    static boolean isUnavailable(JedisException e) {
        if (e.getCause() instanceof NoSuchElementException) {
            return true;
        }
        return e.getMessage() != null && UNAVAILABLE.matcher(e.getMessage()).find();
    }

    private Decision fallback() {
        metrics.recordFallback(failurePolicy);
        boolean open = failurePolicy == FailurePolicy.FAIL_OPEN;
        return new Decision(open, BigDecimal.ZERO, -1, 0, open ? Decision.Source.FAIL_OPEN : Decision.Source.FAIL_CLOSED);
    }

    static Decision parse(Object reply) {
        List<?> values = (List<?>) reply;
        return new Decision(
                ((Long) values.get(0)) == 1L,
                new BigDecimal((String) values.get(1)),
                (Long) values.get(2),
                (Long) values.get(3),
                Decision.Source.REDIS);
    }

    static void validate(String key, long cost) {
        if (key == null || key.isBlank()) {
            throw new RateLimitArgumentException("key", "a non-blank Redis key", key);
        }
        if (cost < 0) {
            throw new RateLimitArgumentException("cost", "an integer >= 0", cost);
        }
    }

    /** Closes the pool if the limiter created it. */
    @Override
    public void close() {
        if (ownsPool) {
            pool.close();
        }
    }

    /** Configures a {@link TokenBucketRateLimiter}. */
    public static final class Builder {

        private final BucketPolicy policy;
        private HostAndPort address;
        private JedisPool pool;
        private FailurePolicy failurePolicy = FailurePolicy.FAIL_OPEN;
        private Duration timeout = Duration.ofMillis(50);
        private int maxConnections = 16;

        private Builder(BucketPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
        }

        /** The limiter creates and owns a pool to this Redis, with its timeouts set to {@link #timeout(Duration)}. */
        public Builder redis(HostAndPort address) {
            this.address = Objects.requireNonNull(address, "address");
            this.pool = null;
            return this;
        }

        /**
         * Use a pool you own (and close). Its own timeouts then bound each decision; set them
         * to your budget, since Jedis' default socket timeout is 2 s.
         */
        public Builder pool(JedisPool pool) {
            this.pool = Objects.requireNonNull(pool, "pool");
            this.address = null;
            return this;
        }

        /** Fail open (default) or fail closed when Redis cannot answer. */
        public Builder failurePolicy(FailurePolicy failurePolicy) {
            this.failurePolicy = Objects.requireNonNull(failurePolicy, "failurePolicy");
            return this;
        }

        /** The time budget of one decision (default 50 ms). */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("rate-limiter: timeout must be positive, got '" + timeout + "'");
            }
            this.timeout = timeout;
            return this;
        }

        /** Size of the owned pool (default 16): at least the number of threads that decide at once. */
        public Builder maxConnections(int maxConnections) {
            if (maxConnections < 1) {
                throw new IllegalArgumentException("rate-limiter: maxConnections must be >= 1, got '" + maxConnections + "'");
            }
            this.maxConnections = maxConnections;
            return this;
        }

        public TokenBucketRateLimiter build() {
            if (address == null && pool == null) {
                throw new IllegalStateException("rate-limiter: set redis(address) or pool(pool)");
            }
            return new TokenBucketRateLimiter(this);
        }
    }
}
