package dev.backendlabs.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.caching.CachePolicy;
import dev.backendlabs.caching.CacheStrategiesFixture;
import dev.backendlabs.caching.CacheStrategiesFixture.Request;
import dev.backendlabs.caching.CacheStrategiesFixture.Snapshot;
import dev.backendlabs.caching.CacheStrategiesFixture.Workload;
import dev.backendlabs.caching.CacheStrategiesFixture.Zipf;
import dev.backendlabs.caching.CacheStrategy;
import dev.backendlabs.caching.Product;
import dev.backendlabs.caching.ProductCatalog;
import dev.backendlabs.caching.ProductRepository;
import dev.backendlabs.caching.TwoTierCache;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.backend.RunningServer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Which cache strategy serves a Zipf-popular product catalog fastest, and how much database work
 * does each leave — by skew and by how much of the catalog the cache holds?
 *
 * <ul>
 *   <li>{@code NO_CACHE} (baseline): every read is a query of the product-page view (a join and two
 *       aggregates, about 0.6 ms of PostgreSQL execution).</li>
 *   <li>{@code CACHE_ASIDE}, {@code READ_THROUGH} (single-flight), {@code WRITE_THROUGH} (versioned
 *       stores), {@code L1_L2} (a Caffeine L1 of 1 % of the products over cache-aside, pub/sub
 *       invalidation) — the lab's {@code CacheStrategy}, the same enum its experiment uses.</li>
 * </ul>
 *
 * <p>Each operation is one request of a seeded Zipf(s) stream per thread over 100,000 products: a
 * read, or with probability 5 % a price change. Redis is a private server whose {@code maxmemory}
 * holds {@code cacheSize} of the products ({@code allkeys-lru}), brought to its steady state before
 * the trial by a pipelined replay of the same workload. Closed loop, so the score is what the
 * strategy can serve flat out on this machine; the auxiliary counters {@code dbQueries} and
 * {@code requests} count the database calls each thread's requests made (a read is one query, a
 * write one transaction) and the requests, so {@code dbQueries / requests} is database queries
 * per operation — the load the cache leaves on the database.
 *
 * <h2>How to run this test</h2>
 * <pre>
 * ./mvnw -pl benchmarks package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar CacheStrategyBenchmark -t 1 -rf json -rff benchmarks/results/cache-strategies-t1.json
 * java -jar benchmarks/target/benchmarks.jar CacheStrategyBenchmark -t 8 -rf json -rff benchmarks/results/cache-strategies-t8.json
 * java -cp benchmarks/target/benchmarks.jar dev.backendlabs.bench.CacheStrategyBenchmarkTable benchmarks/results/cache-strategies-t*.json
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class CacheStrategyBenchmark extends LabBenchmark {

    private static final double WRITE_SHARE = 0.05;
    private static final ThreadLocal<long[]> QUERIES = ThreadLocal.withInitial(() -> new long[1]);

    @Param({"CACHE_ASIDE", "NO_CACHE", "READ_THROUGH", "WRITE_THROUGH", "L1_L2"})
    public CacheStrategy strategy;

    @Param({"1.1", "0.8"})
    public double skew;

    /** The share of the products Redis has memory for. */
    @Param({"0.1", "0.01"})
    public double cacheSize;

    private Zipf zipf;
    private HikariDataSource dataSource;
    private RunningServer<RedisBackend> redis;
    private JedisPool pool;
    private ProductCatalog catalog;

    @Setup(Level.Trial)
    public void start(BenchmarkParams params) {
        int products = sized(CacheStrategiesFixture.PRODUCTS, 10_000);
        int connections = params.getThreads() + 4;
        zipf = new Zipf(products, skew);
        dataSource = Backends.postgres().dataSource(CacheStrategiesFixture.NAMESPACE, config -> config.setMaximumPoolSize(connections));
        CacheStrategiesFixture.createCatalog(dataSource, products);
        Snapshot snapshot = Snapshot.of(dataSource);
        redis = Backends.newRedis();
        pool = CacheStrategiesFixture.jedisPool(redis.backend(), connections);
        CacheStrategiesFixture.connectAll(pool, connections);
        CachePolicy policy = new CachePolicy(CacheStrategiesFixture.NAMESPACE.redisKey("bench") + ":", Duration.ofMinutes(10),
                Duration.ofMinutes(1));
        try (Jedis admin = redis.backend().connect()) {
            CacheStrategiesFixture.limitMemoryToKeys(admin, (int) Math.round(products * cacheSize), policy::key, snapshot::entry,
                    policy.ttl(), "allkeys-lru");
            int replay = sized(100_000, 10_000);
            CacheStrategiesFixture.replay(admin, new Workload(zipf, WRITE_SHARE, 1).take(replay), policy::key, snapshot::entry,
                    policy.ttl(), replay);
        }
        int l1Size = products / 100;
        catalog = strategy.open(new CountingSource(new ProductRepository(dataSource)), pool, policy,
                new TwoTierCache.L1Policy(l1Size, Duration.ofSeconds(30)), CacheStrategiesFixture.NAMESPACE.redisKey("bench-invalidations"),
                redis.backend()::connect);
        if (catalog instanceof TwoTierCache) {
            for (int rank = 1; rank <= l1Size; rank++) {
                catalog.find(zipf.productId(rank));
            }
        }
    }

    @Override
    protected void close() throws Exception {
        if (catalog instanceof AutoCloseable closeable) {
            closeable.close();
        }
        pool.close();
        redis.close();
        dataSource.close();
    }

    /** Each thread's own seeded request stream. */
    @State(Scope.Thread)
    public static class Requests {
        private Workload workload;

        @Setup(Level.Trial)
        public void seed(CacheStrategyBenchmark benchmark, ThreadParams thread) {
            workload = new Workload(benchmark.zipf, WRITE_SHARE, 100 + thread.getThreadIndex());
        }
    }

    /**
     * Database queries made by this thread's requests, and the requests, counted over the same span:
     * {@code dbQueries / requests} is queries per operation. (The primary score leaves out requests
     * that threads finish while JMH synchronises the end of an iteration; these counters do not,
     * so the ratio is taken between the two counters.)
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Queries {
        public long dbQueries;
        public long requests;

        @Setup(Level.Iteration)
        public void reset() {
            dbQueries = 0;
            requests = 0;
        }
    }

    @Benchmark
    public Object request(Requests requests, Queries queries) {
        Request request = requests.workload.next();
        long before = QUERIES.get()[0];
        Object result = request.write()
                ? catalog.updatePrice(request.productId(), 100 + before % 1_000)
                : catalog.find(request.productId());
        queries.dbQueries += QUERIES.get()[0] - before;
        queries.requests++;
        return result;
    }

    /** The repository, counting on the calling thread every query it sends: a load runs on the thread whose request missed. */
    private record CountingSource(ProductRepository database) implements ProductCatalog {

        @Override
        public Optional<Product> find(long id) {
            QUERIES.get()[0]++;
            return database.find(id);
        }

        @Override
        public Product updatePrice(long id, long priceCents) {
            QUERIES.get()[0]++;
            return database.updatePrice(id, priceCents);
        }

        @Override
        public Product create(long id, String sku, String name, int categoryId, long priceCents) {
            QUERIES.get()[0]++;
            return database.create(id, sku, name, categoryId, priceCents);
        }
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(CacheStrategyBenchmark.class.getSimpleName()).threads(8).build()).run();
    }
}
