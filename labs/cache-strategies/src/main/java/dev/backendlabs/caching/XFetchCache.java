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
 *
 * <p>XFetch bounds nothing by itself: every reader that draws a rebuild runs one, a reader that
 * arrives in the last ~βδ before the expiry almost always draws one, and once the key has expired
 * every reader that misses loads it. A burst that lands there (or a stall that delays the early
 * rebuild past the expiry) costs one query per reader, as with plain cache-aside.
 * {@link #withSingleFlight} adds in-process single-flight to both paths: the early rebuild and the
 * misses of one key share one load per process, and the readers still get the old copy meanwhile.
 */
public final class XFetchCache extends RedisCatalog {

    /** What a caller that missed saw of the key's TTL: any entry found later is newer. */
    private static final long NOTHING_SEEN = Long.MIN_VALUE;

    private final double beta;
    private final DoubleSupplier uniform;
    /** Null without single-flight: then every reader that draws a rebuild or misses loads. */
    private final SingleFlight<Long, Optional<Product>> flights;

    /** XFetch with the paper's default β = 1. */
    public XFetchCache(ProductCatalog source, JedisPool pool, CachePolicy policy) {
        this(source, pool, policy, 1.0, () -> 1 - ThreadLocalRandom.current().nextDouble());
    }

    /**
     * @param beta    how eagerly to rebuild: above 1 earlier (fewer concurrent rebuilds), below 1 later
     * @param uniform random numbers in (0, 1]
     */
    public XFetchCache(ProductCatalog source, JedisPool pool, CachePolicy policy, double beta, DoubleSupplier uniform) {
        this(source, pool, policy, beta, uniform, null);
    }

    private XFetchCache(ProductCatalog source, JedisPool pool, CachePolicy policy, double beta, DoubleSupplier uniform,
                        SingleFlight<Long, Optional<Product>> flights) {
        super(source, new RedisTier(pool, policy, new CacheMetrics()));
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new CatalogArgumentException("beta", "a positive number", beta);
        }
        this.beta = beta;
        this.uniform = uniform;
        this.flights = flights;
    }

    /**
     * XFetch whose rebuilds go through a per-process single-flight: the readers of one key that draw
     * an early rebuild, or miss, at the same time share one load, which looks in Redis once more
     * first (a rebuild that has just landed is used, not repeated).
     */
    public static XFetchCache withSingleFlight(ProductCatalog source, JedisPool pool, CachePolicy policy, double beta,
                                               DoubleSupplier uniform) {
        return new XFetchCache(source, pool, policy, beta, uniform, new SingleFlight<>());
    }

    // region xfetch
    @Override
    public Optional<Product> find(long id) {
        CatalogArgumentException.requireProductId(id);
        return switch (redis.lookup(id)) {
            case RedisTier.Hit hit when due(hit) -> {
                redis.metrics().recordEarlyRefresh();
                yield rebuild(id, hit.remainingMillis());
            }
            case RedisTier.Hit hit -> hit.entry().found();
            case RedisTier.Miss miss -> rebuild(id, NOTHING_SEEN);
            case RedisTier.Unavailable down -> redis.fallback(id, source);
        };
    }

    /** Loads and stores the entry; with single-flight, once per process, unless it was rebuilt since the caller looked. */
    private Optional<Product> rebuild(long id, long remainingSeen) {
        if (flights == null) {
            return redis.loadAndStore(id, source);
        }
        return flights.run(id, () -> switch (redis.lookup(id)) {
            case RedisTier.Hit hit when hit.remainingMillis() > remainingSeen -> hit.entry().found(); // a flight just rebuilt it
            case RedisTier.Hit hit -> redis.loadAndStore(id, source);
            case RedisTier.Miss miss -> redis.loadAndStore(id, source);
            case RedisTier.Unavailable down -> redis.fallback(id, source);
        });
    }

    private boolean due(RedisTier.Hit hit) {
        return rebuildEarly(hit.entry().loadMicros() / 1000.0, hit.remainingMillis());
    }

    /** {@code δ · β · −ln(u) ≥ time left}; a key without a TTL (PTTL -1) is never rebuilt early. */
    boolean rebuildEarly(double deltaMillis, long remainingMillis) {
        return remainingMillis >= 0 && deltaMillis * beta * -Math.log(uniform.getAsDouble()) >= remainingMillis;
    }
    // endregion
}
