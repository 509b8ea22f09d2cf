/**
 * Cache strategies in front of a PostgreSQL product catalog ({@link dev.backendlabs.caching.ProductRepository}):
 * cache-aside, read-through with single-flight, write-through with versioned stores, leases with
 * stale-while-revalidate, XFetch, and a Caffeine L1 over Redis invalidated by pub/sub — all behind
 * {@link dev.backendlabs.caching.ProductCatalog}, all sharing one Redis failure policy
 * ({@code RedisTier}). {@link dev.backendlabs.caching.NaiveCacheAside} is the tutorial version the
 * tests break.
 *
 * <p>Pattern classes start their javadoc with {@code THE PATTERN:}, naive variants with
 * {@code NAIVE:}; this package depends on drivers and libraries only (JDBC, Jedis, Caffeine,
 * Jackson), never on the labs' shared test tooling, so that it can be lifted into a service as it is.
 */
package dev.backendlabs.caching;
