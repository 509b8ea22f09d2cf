package dev.backendlabs.caching;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three instances of a service, each with its own L1 (Caffeine) and Redis pool, in front of the
 * same Redis and database. One instance changes a price; how long do the others keep serving the
 * old one? Without invalidation, until their copy's L1 TTL ends; with Redis pub/sub, one message
 * later — and after a Redis outage, until they have subscribed again and flushed.
 */
@Lab
class L1StalenessTest {

    private static final int NODES = 3;
    private static final TwoTierCache.L1Policy SHORT_L1 = new TwoTierCache.L1Policy(1_000, Duration.ofSeconds(1));
    private static final TwoTierCache.L1Policy LONG_L1 = new TwoTierCache.L1Policy(1_000, Duration.ofMinutes(1));

    @Test
    void withoutInvalidationOtherNodesServeTheOldPriceUntilTheirL1TtlEnds(RedisBackend redis) {
        try (Cluster cluster = new Cluster(redis, "ttl-claim", SHORT_L1, false)) {
            long id = 30_001;
            long before = cluster.readEverywhere(id);

            Product written = cluster.node(0).updatePrice(id, 1_000 + before);

            assertThat(cluster.node(1).find(id).orElseThrow().version()).as("node 1 right after the write").isEqualTo(before);
            assertThat(cluster.node(2).find(id).orElseThrow().version()).as("node 2 right after the write").isEqualTo(before);
            await().atMost(SHORT_L1.ttl().plusSeconds(2)).untilAsserted(() -> {
                assertThat(cluster.node(1).find(id).orElseThrow().version()).isEqualTo(written.version());
                assertThat(cluster.node(2).find(id).orElseThrow().version()).isEqualTo(written.version());
            });
        }
    }

    @Test
    void pubSubInvalidationReachesEveryNodeLongBeforeTheL1Ttl(RedisBackend redis) {
        try (Cluster cluster = new Cluster(redis, "pubsub-claim", LONG_L1, true)) {
            long id = 30_002;
            long before = cluster.readEverywhere(id);

            Product written = cluster.node(0).updatePrice(id, 1_000 + before);

            // The L1 TTL is a minute: only the invalidation can end the old copies within these five seconds.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(cluster.node(1).find(id).orElseThrow().version()).isEqualTo(written.version());
                assertThat(cluster.node(2).find(id).orElseThrow().version()).isEqualTo(written.version());
            });
            assertThat(cluster.node(1).invalidationsReceived()).isEqualTo(1);
        }
    }

    @Test
    void aResubscriptionAfterARedisRestartFlushesWhatTheOutageHid(RedisBackend redis) {
        try (Cluster cluster = new Cluster(redis, "restart-claim", LONG_L1, true)) {
            long id = 30_003;
            long before = cluster.readEverywhere(id);
            long flushes = cluster.node(1).l1Flushes();
            Product written;

            redis.stop();
            try {
                written = cluster.node(0).updatePrice(id, 1_000 + before); // commits; the delete and the publication fail
                assertThat(cluster.node(0).publishFailures()).isEqualTo(1);
                assertThat(cluster.node(1).find(id).orElseThrow().version()).as("node 1 during the outage").isEqualTo(before);
            } finally {
                redis.start();
            }

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(cluster.node(1).l1Flushes()).as("flushes of node 1").isGreaterThan(flushes);
                assertThat(cluster.node(1).find(id).orElseThrow().version()).isEqualTo(written.version());
            });
        }
    }

    @Experiment
    void staleReadWindowAfterAnUpdate(RedisBackend redis, Scale scale, LabReport report) {
        int trials = scale.pick(5, 20);
        List<Double> ttlOnly;
        List<Double> invalidated;
        try (Cluster cluster = new Cluster(redis, "ttl-experiment", SHORT_L1, false)) {
            ttlOnly = staleMillis(cluster, 31_000, trials);
        }
        try (Cluster cluster = new Cluster(redis, "pubsub-experiment", LONG_L1, true)) {
            invalidated = staleMillis(cluster, 31_100, trials);
        }
        double worstTtlOnly = ttlOnly.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double worstInvalidated = invalidated.stream().mapToDouble(Double::doubleValue).max().orElseThrow();

        report.metric("stale_read_ms_ttl_only", worstTtlOnly, "ms",
                "Longest time another node served the old price after the database commit, no invalidation, L1 TTL 1 s "
                        + "(bounded by that TTL).");
        report.metric("stale_read_ms_invalidation", worstInvalidated, "ms",
                "Longest time another node served the old price after the database commit, Redis pub/sub invalidation, "
                        + "L1 TTL 1 min.");
        report.table(ReportTable.of("Stale reads on the other two nodes after a write, from its commit (" + trials + " writes, ms)",
                        "invalidation", "L1 TTL", "stale per node and write (ms)", "worst (ms)")
                .row("none (TTL only)", "1 s", ttlOnly.toString(), worstTtlOnly)
                .row("Redis pub/sub", "1 min", invalidated.toString(), worstInvalidated));
        assertThat(ttlOnly).hasSize(trials * (NODES - 1));
        assertThat(invalidated).hasSize(trials * (NODES - 1));
    }

    // region stale-window
    /**
     * For each trial: every node reads the product (its L1 now holds it), nodes 1 and 2 start
     * reading it every 0.2 ms, node 0 writes; each stale window runs from the database commit (the
     * moment the repository's {@code updatePrice} returned, before the L2 delete and the publication)
     * to the first read of a node that returned the new version.
     */
    private static List<Double> staleMillis(Cluster cluster, long firstId, int trials) {
        List<Double> stale = new ArrayList<>();
        for (long id = firstId; id < firstId + trials; id++) {
            long product = id;
            long before = cluster.readEverywhere(product);
            List<Future<Long>> watchers = new ArrayList<>();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int node = 1; node < NODES; node++) {
                    TwoTierCache watched = cluster.node(node);
                    watchers.add(threads.submit(() -> {
                        while (watched.find(product).orElseThrow().version() == before) {
                            LockSupport.parkNanos(200_000);
                        }
                        return System.nanoTime();
                    }));
                }
                cluster.node(0).updatePrice(product, 1_000 + before);
                long committedAt = cluster.committedAt(product);
                for (Future<Long> watcher : watchers) {
                    stale.add(Math.round(Math.max(0, watcher.get() - committedAt) / 100_000.0) / 10.0);
                }
            } catch (InterruptedException | ExecutionException e) {
                throw new IllegalStateException("a watcher failed", e);
            }
        }
        return stale;
    }
    // endregion

    /** The source of truth, noting when each price change has committed (its {@code updatePrice} returned). */
    private static final class CommitClock implements ProductCatalog {

        private final ProductCatalog database;
        private final Map<Long, Long> committedAt = new ConcurrentHashMap<>();

        CommitClock(ProductCatalog database) {
            this.database = database;
        }

        @Override
        public Optional<Product> find(long id) {
            return database.find(id);
        }

        @Override
        public Product updatePrice(long id, long priceCents) {
            Product committed = database.updatePrice(id, priceCents);
            committedAt.put(id, System.nanoTime());
            return committed;
        }

        @Override
        public Product create(long id, String sku, String name, int categoryId, long priceCents) {
            return database.create(id, sku, name, categoryId, priceCents);
        }
    }

    /** {@value #NODES} instances: each a two-tier cache over cache-aside, with its own pool, sharing Redis and the database. */
    private static final class Cluster implements AutoCloseable {

        private final List<JedisPool> pools = new ArrayList<>();
        private final List<TwoTierCache> nodes = new ArrayList<>();
        private final CommitClock commits;

        Cluster(RedisBackend redis, String name, TwoTierCache.L1Policy l1, boolean invalidation) {
            CommitClock database = new CommitClock(new ProductRepository(CacheStrategiesFixture.database()));
            commits = database;
            CachePolicy l2 = CacheStrategiesFixture.policy("l1-" + name, Duration.ofMinutes(10), Duration.ofSeconds(10));
            String channel = CacheStrategiesFixture.NAMESPACE.redisKey("invalidations", name);
            for (int i = 0; i < NODES; i++) {
                JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 8);
                pools.add(pool);
                CacheAside shared = new CacheAside(database, pool, l2);
                nodes.add(invalidation ? TwoTierCache.withInvalidation(shared, l1, pool, channel, redis::connect)
                        : TwoTierCache.ttlOnly(shared, l1));
            }
            if (invalidation) {
                await().atMost(Duration.ofSeconds(5)).until(() -> nodes.stream().allMatch(TwoTierCache::subscribed));
            }
        }

        TwoTierCache node(int index) {
            return nodes.get(index);
        }

        /** {@link System#nanoTime} when the latest price change of {@code id} had committed. */
        long committedAt(long id) {
            return commits.committedAt.get(id);
        }

        /** Reads the product on every node, so that each L1 holds it; returns its version. */
        long readEverywhere(long id) {
            long version = 0;
            for (TwoTierCache node : nodes) {
                version = node.find(id).orElseThrow().version();
            }
            return version;
        }

        @Override
        public void close() {
            nodes.forEach(TwoTierCache::close);
            pools.forEach(JedisPool::close);
        }
    }
}
