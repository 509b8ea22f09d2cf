package dev.backendlabs.caching;

import redis.clients.jedis.JedisPool;

import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * THE PATTERN: probabilistic early expiration (XFetch; Vattani, Chierichetti and Lowenstein,
 * "Optimal Probabilistic Cache Stampede Prevention", VLDB 2015). Each entry carries δ, how long its
 * load took. A read that finds the entry with {@code t} milliseconds of TTL left rebuilds it early
 * when {@code δ · β · −ln(u) ≥ t}, u uniform in (0, 1]: rarely while the TTL is long, more often as
 * it runs out, so under steady traffic one reader usually rebuilds the entry shortly before it
 * expires, and the others keep reading the old copy.
 *
 * <p>No lock, no coordination, across any number of processes. The costs: a rebuild happens
 * somewhat before it is needed (about {@code βδ·ln(λβδ)} early at λ reads per second), a few readers
 * may rebuild at once (on average about {@code e^(1/β)} per expiry in the paper's model: 2.7 at
 * β = 1), and a key read less often than about once per δβ gets no early rebuild at all.
 */
public final class XFetchCache extends RedisCatalog {

    private final double beta;
    private final DoubleSupplier uniform;

    /** XFetch with the paper's default β = 1. */
    public XFetchCache(ProductCatalog source, JedisPool pool, CachePolicy policy) {
        this(source, pool, policy, 1.0, () -> 1 - ThreadLocalRandom.current().nextDouble());
    }

    /**
     * @param beta    how eagerly to rebuild: above 1 earlier (fewer concurrent rebuilds), below 1 later
     * @param uniform random numbers in (0, 1]
     */
    public XFetchCache(ProductCatalog source, JedisPool pool, CachePolicy policy, double beta, DoubleSupplier uniform) {
        super(source, new RedisTier(pool, policy, new CacheMetrics()));
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new CatalogArgumentException("beta", "a positive number", beta);
        }
        this.beta = beta;
        this.uniform = uniform;
    }

    // region xfetch
    @Override
    public Optional<Product> find(long id) {
        CatalogArgumentException.requireProductId(id);
        return switch (redis.lookup(id)) {
            case RedisTier.Hit hit when rebuildEarly(hit.entry().loadMicros() / 1000.0, hit.remainingMillis()) -> {
                redis.metrics().recordEarlyRefresh();
                yield redis.loadAndStore(id, source);
            }
            case RedisTier.Hit hit -> hit.entry().found();
            case RedisTier.Miss miss -> redis.loadAndStore(id, source);
            case RedisTier.Unavailable down -> redis.fallback(id, source);
        };
    }

    /** {@code δ · β · −ln(u) ≥ time left}; a key without a TTL (PTTL -1) is never rebuilt early. */
    boolean rebuildEarly(double deltaMillis, long remainingMillis) {
        return remainingMillis >= 0 && deltaMillis * beta * -Math.log(uniform.getAsDouble()) >= remainingMillis;
    }
    // endregion
}
