package dev.backendlabs.ratelimit;

import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Configures a {@link ScriptedRateLimiter}: where it runs (one Redis, by address or through your
 * pool, or a Redis Cluster), its failure policy and its time budget. Obtain one from
 * {@code TokenBucketRateLimiter.builder(policy)}, {@code GcraRateLimiter.builder(policy)} or the
 * sliding windows' {@code builder(policy)}.
 *
 * @param <L> the limiter it builds
 */
public final class RateLimiterBuilder<L extends ScriptedRateLimiter> {

    /** Attempts of an owned cluster client within the budget: a MOVED after a failover, a reconnect, and a few spare. */
    private static final int CLUSTER_ATTEMPTS = 5;

    /** What a limiter needs from its builder. */
    record Settings(ScriptTarget target, FailurePolicy failurePolicy, Duration timeout) {
    }

    private final Function<Settings, L> factory;
    private HostAndPort address;
    private JedisPool pool;
    private Set<HostAndPort> clusterSeeds;
    private JedisCluster cluster;
    private FailurePolicy failurePolicy = FailurePolicy.FAIL_OPEN;
    private Duration timeout = Duration.ofMillis(50);
    private int maxConnections = 16;

    RateLimiterBuilder(Function<Settings, L> factory) {
        this.factory = factory;
    }

    /** The limiter creates and owns a pool to this Redis, with its timeouts set to {@link #timeout(Duration)}. */
    public RateLimiterBuilder<L> redis(HostAndPort address) {
        clearTarget();
        this.address = Objects.requireNonNull(address, "address");
        return this;
    }

    /**
     * Use a pool you own (and close). Its own timeouts then bound each decision; set them
     * to your budget, since Jedis' default socket timeout is 2 s.
     */
    public RateLimiterBuilder<L> pool(JedisPool pool) {
        clearTarget();
        this.pool = Objects.requireNonNull(pool, "pool");
        return this;
    }

    /**
     * The limiter creates and owns a {@link JedisCluster} that discovers the cluster from these
     * nodes (any of them will do), with its socket timeout, pool wait and total retry time set to
     * {@link #timeout(Duration)} and at most {@value #CLUSTER_ATTEMPTS} attempts per decision.
     */
    public RateLimiterBuilder<L> cluster(Set<HostAndPort> seeds) {
        clearTarget();
        if (seeds == null || seeds.isEmpty()) {
            throw new IllegalArgumentException("rate-limiter: cluster seeds must name at least one node, got '" + seeds + "'");
        }
        this.clusterSeeds = Set.copyOf(seeds);
        return this;
    }

    /**
     * Use a cluster client you own (and close). Its own timeouts, attempts and total retry time
     * then bound each decision; Jedis' defaults are 2 s per attempt and 5 attempts.
     */
    public RateLimiterBuilder<L> cluster(JedisCluster cluster) {
        clearTarget();
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        return this;
    }

    /** Fail open (default) or fail closed when Redis cannot answer. */
    public RateLimiterBuilder<L> failurePolicy(FailurePolicy failurePolicy) {
        this.failurePolicy = Objects.requireNonNull(failurePolicy, "failurePolicy");
        return this;
    }

    /** The time budget of one decision (default 50 ms). */
    public RateLimiterBuilder<L> timeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("rate-limiter: timeout must be positive, got '" + timeout + "'");
        }
        this.timeout = timeout;
        return this;
    }

    /** Size of the owned pool, per node on a cluster (default 16): at least the number of threads that decide at once. */
    public RateLimiterBuilder<L> maxConnections(int maxConnections) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("rate-limiter: maxConnections must be >= 1, got '" + maxConnections + "'");
        }
        this.maxConnections = maxConnections;
        return this;
    }

    public L build() {
        return factory.apply(new Settings(target(), failurePolicy, timeout));
    }

    private ScriptTarget target() {
        if (pool != null) {
            return new PooledScriptTarget(pool, false);
        }
        if (address != null) {
            return new PooledScriptTarget(new JedisPool(poolConfig(new JedisPoolConfig()), address, clientConfig()), true);
        }
        if (cluster != null) {
            return new ClusterScriptTarget(cluster, false);
        }
        if (clusterSeeds != null) {
            return new ClusterScriptTarget(new JedisCluster(clusterSeeds, clientConfig(), CLUSTER_ATTEMPTS, timeout,
                    poolConfig(new GenericObjectPoolConfig<Connection>())), true);
        }
        throw new IllegalStateException("rate-limiter: set redis(address), pool(pool) or cluster(...)");
    }

    private void clearTarget() {
        address = null;
        pool = null;
        clusterSeeds = null;
        cluster = null;
    }

    private <C extends GenericObjectPoolConfig<?>> C poolConfig(C config) {
        config.setMaxTotal(maxConnections);
        config.setMaxIdle(maxConnections);
        config.setMaxWait(timeout);
        return config;
    }

    private JedisClientConfig clientConfig() {
        int millis = Math.toIntExact(Math.max(1, timeout.toMillis()));
        return DefaultJedisClientConfig.builder().connectionTimeoutMillis(millis).socketTimeoutMillis(millis).build();
    }
}
