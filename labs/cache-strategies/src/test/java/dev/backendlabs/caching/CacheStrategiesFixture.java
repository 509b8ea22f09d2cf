package dev.backendlabs.caching;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongFunction;

/**
 * What the lab's tests, experiments and benchmark share: the catalog (100,000 products in
 * PostgreSQL), Redis pools and key prefixes, the Zipf workload with its analytic hit ratios, a
 * snapshot of the catalog, and the pipelined replay that brings a Redis cache to its steady state
 * in seconds. No test class calls another.
 */
public final class CacheStrategiesFixture {

    /** Not {@code LabNamespace.current()}: the benchmark, which runs outside the lab's test JVM, uses this fixture too. */
    public static final LabNamespace NAMESPACE = new LabNamespace("cache-strategies");
    public static final int PRODUCTS = 100_000;
    static final int CATEGORIES = 2_000;
    static final int REVIEWS_PER_PRODUCT = 5;
    /** Every Redis call of the strategies under test waits at most this long (borrow, connect, read). */
    public static final Duration REDIS_TIMEOUT = Duration.ofMillis(250);
    private static final String REPLAY_SCRIPT = resource("replay_request.lua");

    private static boolean catalogCreated;
    private static Snapshot snapshot;

    private CacheStrategiesFixture() {
    }

    /** The lab's pool on the shared PostgreSQL, with the catalog created and filled once per JVM. */
    static synchronized HikariDataSource database() {
        HikariDataSource pool = Backends.postgres().pool(NAMESPACE);
        if (!catalogCreated) {
            createCatalog(pool, PRODUCTS);
            catalogCreated = true;
        }
        return pool;
    }

    // region catalog
    /**
     * Creates the catalog afresh: {@code products} products in {@value #CATEGORIES} categories, five
     * reviews each. A product's reviews are {@code products} rows apart, as reviews that arrive
     * over time are, so reading them touches five heap pages rather than one.
     */
    public static void createCatalog(DataSource dataSource, int products) {
        try (Connection connection = dataSource.getConnection(); Statement sql = connection.createStatement()) {
            sql.execute("DROP SCHEMA IF EXISTS catalog CASCADE");
            CatalogSchema.create(connection);
            sql.execute("INSERT INTO catalog.products (id, sku, name, category_id, price_cents)"
                    + " SELECT i, 'SKU-' || lpad(i::text, 6, '0'), 'Product ' || i, (i * 7919) % " + CATEGORIES + ","
                    + "        100 + (i * 104729) % 99900"
                    + " FROM generate_series(1::bigint, " + products + ") AS i");
            sql.execute("INSERT INTO catalog.reviews (product_id, rating, created_at)"
                    + " SELECT 1 + (i * 7919) % " + products + ", 1 + (i * 31 + i / 7) % 5,"
                    + "        timestamptz '2024-01-01' + i * interval '1 minute'"
                    + " FROM generate_series(0::bigint, " + ((long) products * REVIEWS_PER_PRODUCT - 1) + ") AS i");
            sql.execute("ANALYZE catalog.products, catalog.reviews");
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create the catalog", e);
        }
    }
    // endregion

    /** Every product page, read once per JVM; whoever writes products refreshes what it wrote. */
    static synchronized Snapshot snapshot() {
        if (snapshot == null) {
            snapshot = Snapshot.of(database());
        }
        return snapshot;
    }

    /** A pool of {@code size} connections whose borrow, connect and read each wait at most {@link #REDIS_TIMEOUT}. */
    public static JedisPool jedisPool(RedisBackend redis, int size) {
        return redis.newPool(size, REDIS_TIMEOUT);
    }

    /** A key prefix of its own for each test, so that no test reads another's entries. */
    /** The median of {@code values} (the mean of the middle two for an even count). */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    static CachePolicy policy(String name, Duration ttl, Duration negativeTtl) {
        return new CachePolicy(NAMESPACE.redisKey("product", name) + ":", ttl, negativeTtl);
    }

    /**
     * Zipf(s) popularity over {@code keys} products: rank r is requested with probability
     * {@code r^-s / H(N, s)}. Sampled by inverse CDF from a precomputed table — exact, seeded, and
     * the same table gives the analytic hit ratios, so sampler and model cannot disagree on the
     * distribution. (Written here rather than taken from commons-math because the benchmark,
     * which sees only the lab's test classes and main dependencies, uses it too.)
     */
    public static final class Zipf {

        /** 7919 is prime and divides no power of ten: rank → product id is a bijection for these key counts. */
        private static final long STRIDE = 7919;

        private final int keys;
        private final double skew;
        private final double[] cdf;
        private final double[] probability;

        public Zipf(int keys, double skew) {
            this.keys = keys;
            this.skew = skew;
            this.probability = new double[keys];
            this.cdf = new double[keys];
            double total = 0;
            for (int rank = 1; rank <= keys; rank++) {
                probability[rank - 1] = Math.pow(rank, -skew);
                total += probability[rank - 1];
            }
            double running = 0;
            for (int i = 0; i < keys; i++) {
                probability[i] /= total;
                running += probability[i];
                cdf[i] = running;
            }
            cdf[keys - 1] = 1;
        }

        public int keys() {
            return keys;
        }

        public double skew() {
            return skew;
        }

        /** A rank from 1 (the most popular) to {@code keys}. */
        public int rank(SplittableRandom random) {
            int index = Arrays.binarySearch(cdf, random.nextDouble());
            return (index >= 0 ? index : -index - 1) + 1;
        }

        /** The product at a popularity rank: ranks are scattered over the ids, as popularity is. */
        public long productId(int rank) {
            return 1 + (rank - 1) * STRIDE % keys;
        }

        /** H(k, s) / H(N, s): the share of requests for the k most popular keys — the hit ratio of a perfect frequency policy. */
        public double topShare(int k) {
            return k <= 0 ? 0 : cdf[Math.min(k, keys) - 1];
        }

        // region che
        /**
         * Che's approximation of an LRU cache of {@code capacity} keys, extended for cache-aside
         * writes: a share {@code w} of requests are writes with the same popularity, and a write
         * deletes the key. A read of key i hits when the last request for i before it was a read
         * less than T requests ago: {@code h_i = (1 − w)(1 − e^(−p_i T))}; that is also the
         * probability that i is cached, so T solves {@code Σ_i h_i = capacity}. With w = 0 this is
         * Che's approximation as published.
         *
         * @return the hit ratio of reads
         */
        public double lruHitRatio(double capacity, double writeShare) {
            return hitRatio(capacity, (p, t) -> (1 - writeShare) * -Math.expm1(-p * t));
        }

        /**
         * The same for random eviction (a victim picked uniformly, as {@code allkeys-random} does):
         * an entry leaves at rate 1/T whatever its use, is brought back by a read at rate
         * {@code (1 − w) p_i} and deleted by a write at {@code w p_i}, so it is cached with
         * probability {@code (1 − w) p_i T / (1 + p_i T)}.
         *
         * @return the hit ratio of reads
         */
        public double randomHitRatio(double capacity, double writeShare) {
            return hitRatio(capacity, (p, t) -> (1 - writeShare) * p * t / (1 + p * t));
        }

        /** {@code Σ p_i h_i(T)}, T found by bisection such that {@code Σ h_i(T) = capacity}. */
        private double hitRatio(double capacity, DoubleBinaryOperator cached) {
            double low = 0;
            double high = 1;
            while (sum(high, cached, false) < capacity) {
                high *= 2;
            }
            for (int i = 0; i < 100; i++) {
                double mid = (low + high) / 2;
                if (sum(mid, cached, false) < capacity) {
                    low = mid;
                } else {
                    high = mid;
                }
            }
            return sum((low + high) / 2, cached, true);
        }

        private double sum(double t, DoubleBinaryOperator cached, boolean weighted) {
            double total = 0;
            for (double p : probability) {
                total += (weighted ? p : 1) * cached.applyAsDouble(p, t);
            }
            return total;
        }
        // endregion
    }

    /** One request of a workload: a read or a write of a product. */
    public record Request(long productId, boolean write) {
    }

    /** A seeded stream of requests: Zipf-popular products, a share of them writes (drawn from the same popularity). */
    public static final class Workload {

        private final Zipf zipf;
        private final double writeShare;
        private final SplittableRandom random;

        public Workload(Zipf zipf, double writeShare, long seed) {
            this.zipf = zipf;
            this.writeShare = writeShare;
            this.random = new SplittableRandom(seed);
        }

        public Request next() {
            boolean write = random.nextDouble() < writeShare;
            return new Request(zipf.productId(zipf.rank(random)), write);
        }

        /** The next {@code count} requests. */
        public Request[] take(int count) {
            Request[] requests = new Request[count];
            for (int i = 0; i < count; i++) {
                requests[i] = next();
            }
            return requests;
        }
    }

    /**
     * Every product page of the catalog, read in one pass. The bulk query ranks each category once
     * (the view does it per product, which is what makes a single read expensive), so it must rank
     * exactly as {@code catalog.product_pages} does; {@link #matchesTheView} checks that.
     */
    public static final class Snapshot {

        private static final String BULK = """
                WITH summary AS (
                  SELECT p.id, p.category_id, count(r.product_id) AS review_count, avg(r.rating) AS mean
                    FROM catalog.products p LEFT JOIN catalog.reviews r ON r.product_id = p.id
                   GROUP BY p.id),
                ranked AS (
                  SELECT id, category_id, row_number() OVER (PARTITION BY category_id ORDER BY mean DESC, review_count DESC, id) AS place
                    FROM summary WHERE review_count > 0),
                top AS (
                  SELECT category_id, array_agg(id ORDER BY place) AS ids FROM ranked WHERE place <= 6 GROUP BY category_id)
                SELECT p.id, p.sku, p.name, p.category_id, p.price_cents, p.version, s.review_count,
                       coalesce(round(s.mean, 2), 0) AS average_rating,
                       coalesce((array_remove(t.ids, p.id))[1:5], '{}') AS related_ids
                  FROM catalog.products p
                  JOIN summary s ON s.id = p.id
                  LEFT JOIN top t ON t.category_id = p.category_id
                """;

        private final Map<Long, Product> products = new ConcurrentHashMap<>();

        public static Snapshot of(DataSource dataSource) {
            Snapshot snapshot = new Snapshot();
            try (Connection connection = dataSource.getConnection(); Statement sql = connection.createStatement();
                 ResultSet row = sql.executeQuery(BULK)) {
                while (row.next()) {
                    Array related = row.getArray("related_ids");
                    Product product = new Product(row.getLong("id"), row.getString("sku"), row.getString("name"), row.getInt("category_id"),
                            row.getLong("price_cents"), row.getLong("version"), row.getLong("review_count"),
                            row.getDouble("average_rating"), Arrays.asList((Long[]) related.getArray()));
                    snapshot.products.put(product.id(), product);
                }
            } catch (SQLException e) {
                throw new IllegalStateException("Could not read the catalog", e);
            }
            return snapshot;
        }

        public Product get(long id) {
            return products.get(id);
        }

        /** Reads these products again, one by one, through the view (after writes changed them). */
        public void refresh(ProductRepository database, Collection<Long> ids) {
            for (long id : ids) {
                database.find(id).ifPresent(product -> products.put(id, product));
            }
        }

        /** The products of {@code ids} whose snapshot differs from what the view returns now. */
        List<Long> matchesTheView(ProductRepository database, Collection<Long> ids) {
            List<Long> different = new ArrayList<>();
            for (long id : ids) {
                if (!Optional.ofNullable(products.get(id)).equals(database.find(id))) {
                    different.add(id);
                }
            }
            return different;
        }

        /**
         * A copy of the catalog as an in-memory source: what a hit-ratio run uses, since a hit ratio
         * does not depend on what a miss costs, and 100,000 loads through PostgreSQL would take
         * minutes. Its writes change the copy only.
         */
        public ProductCatalog asCatalog() {
            Map<Long, Product> products = new ConcurrentHashMap<>(this.products);
            return new ProductCatalog() {
                @Override
                public Optional<Product> find(long id) {
                    return Optional.ofNullable(products.get(id));
                }

                @Override
                public Product updatePrice(long id, long priceCents) {
                    return products.compute(id, (key, old) -> old.withPrice(priceCents));
                }

                @Override
                public Product create(long id, String sku, String name, int categoryId, long priceCents) {
                    throw new UnsupportedOperationException("the snapshot only changes prices");
                }
            };
        }

        /** The JSON a strategy stores for product {@code id}. */
        public String entry(long id) {
            return EntryCodec.encode(CacheEntry.of(id, Optional.of(products.get(id)), 600));
        }
    }

    /** Reads and hits of a replayed stretch of requests. */
    public record ReplayResult(long reads, long hits) {
        public double hitRatio() {
            return reads == 0 ? 0 : (double) hits / reads;
        }
    }

    // region replay
    /**
     * Replays {@code requests} against Redis as cache-aside would (read: GET, on a miss SET the
     * value; write: DEL), pipelined 1,000 at a time through one script call each, in order. Counts
     * reads and hits from request {@code measureFrom} on.
     */
    public static ReplayResult replay(Jedis jedis, Request[] requests, LongFunction<String> keyOf, LongFunction<String> valueOf,
                                      Duration ttl, int measureFrom) {
        String ttlMillis = Long.toString(ttl.toMillis());
        String script = jedis.scriptLoad(REPLAY_SCRIPT); // a pipeline cannot fall back from EVALSHA to EVAL
        long reads = 0;
        long hits = 0;
        for (int start = 0; start < requests.length; start += 1000) {
            Pipeline pipeline = jedis.pipelined();
            List<Response<Object>> replies = new ArrayList<>();
            int end = Math.min(requests.length, start + 1000);
            for (int i = start; i < end; i++) {
                Request request = requests[i];
                replies.add(pipeline.evalsha(script, List.of(keyOf.apply(request.productId())), List.of(
                        request.write() ? "write" : "read", request.write() ? "" : valueOf.apply(request.productId()), ttlMillis)));
            }
            pipeline.sync();
            for (int i = start; i < end; i++) {
                if (i >= measureFrom && !requests[i].write()) {
                    reads++;
                    hits += (Long) replies.get(i - start).get();
                }
            }
        }
        return new ReplayResult(reads, hits);
    }
    // endregion

    /**
     * Opens every connection of the pool and leaves them idle in it. Redis counts each client's
     * buffers in {@code used_memory}, so a memory limit is calibrated with the clients that will
     * use the cache already connected: 200 connections can take more memory than 10,000 entries.
     */
    public static void connectAll(JedisPool pool, int connections) {
        List<Jedis> open = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                Jedis jedis = pool.getResource();
                open.add(jedis);
                jedis.ping();
            }
        } finally {
            open.forEach(Jedis::close);
        }
    }

    /**
     * Sets {@code maxmemory} and the eviction policy so that about {@code keys} entries fit: measures
     * what entries of the catalog's size cost on an empty server, then corrects the limit twice by
     * how many really stay resident once eviction runs (the eviction's own bookkeeping costs some),
     * and empties the server. {@code DBSIZE} after a replay shows the capacity reached.
     */
    public static void limitMemoryToKeys(Jedis jedis, int keys, LongFunction<String> keyOf, LongFunction<String> valueOf, Duration ttl,
                                         String policy) {
        jedis.configSet("maxmemory", "0");
        jedis.flushAll();
        jedis.scriptLoad(REPLAY_SCRIPT);
        long empty = usedMemory(jedis);
        fill(jedis, 1, keys, keys, keyOf, valueOf, ttl);
        double perKey = (double) (usedMemory(jedis) - empty) / keys;
        long limit = usedMemory(jedis);
        jedis.configSet("maxmemory-policy", policy);
        for (int round = 1; round <= 2; round++) {
            jedis.configSet("maxmemory", Long.toString(limit));
            // twice the capacity: eviction runs
            fill(jedis, keys * 2L * round + 1, keys * 2L * (round + 1), keys, keyOf, valueOf, ttl);
            limit += Math.round((keys - jedis.dbSize()) * perKey);
        }
        jedis.configSet("maxmemory", Long.toString(limit));
        jedis.flushAll();
    }

    /** Entries as the replay stores them: with a TTL, a key costs an entry in Redis's expires table too. */
    private static void fill(Jedis jedis, long fromId, long toId, long products, LongFunction<String> keyOf,
                             LongFunction<String> valueOf, Duration ttl) {
        Pipeline pipeline = jedis.pipelined();
        for (long id = fromId; id <= toId; id++) {
            String value = valueOf.apply(1 + (id - 1) % products); // entries of existing products, whatever the key
            if (ttl.isZero()) {
                pipeline.set(keyOf.apply(id), value);
            } else {
                pipeline.psetex(keyOf.apply(id), ttl.toMillis(), value);
            }
        }
        pipeline.sync();
    }

    private static long usedMemory(Jedis jedis) {
        return Long.parseLong(info(jedis.info("memory"), "used_memory"));
    }

    /** A field of an {@code INFO} section: {@code used_memory:123} → "123". */
    static String info(String section, String field) {
        return section.lines().filter(line -> line.startsWith(field + ":")).map(line -> line.substring(field.length() + 1).strip())
                .findFirst().orElseThrow(() -> new IllegalStateException("INFO has no " + field));
    }

    private static String resource(String name) {
        try (InputStream in = CacheStrategiesFixture.class.getClassLoader().getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
