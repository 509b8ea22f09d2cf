package dev.backendlabs.caching;

import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Lookups of ids no product has — a crawler walking ids, a deleted product still linked — at
 * {@value #LOOKUPS_PER_SECOND}/s over {@value #MISSING_IDS} ids, for one second, against the naive
 * cache (which caches only what it finds) and against cache-aside with negative caching, on the
 * same schedule. The naive count is fixed by the schedule: every lookup is a query.
 */
@Lab
class NegativeCachingTest {

    private static final int LOOKUPS_PER_SECOND = 500;
    private static final int MISSING_IDS = 20;
    private static final Duration LOOKING = Duration.ofSeconds(1);
    private static final long FIRST_MISSING = CacheStrategiesFixture.PRODUCTS + 1_000;

    @Test
    void withoutNegativeCachingEveryLookupOfAMissingIdQueriesTheDatabase(RedisBackend redis, LabReport report) throws InterruptedException {
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 16)) {
            NaiveCacheAside naive = new NaiveCacheAside(database, pool, policy("negative-naive"));

            OpenLoopResult lookups = lookUpMissingIds(naive, 0);

            report.metric("missing_id_db_queries_naive", database.reads(), "queries",
                    "Naive cache-aside: database queries for " + lookups.completed() + " lookups of " + MISSING_IDS + " missing ids.");
            assertThat(lookups.errors()).isZero();
            assertThat(database.reads()).isEqualTo(lookups.completed());
        }
    }

    @Test
    void negativeCachingQueriesEachMissingIdOncePerNegativeTtl(RedisBackend redis, LabReport report) throws InterruptedException {
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        CachePolicy policy = policy("negative-cached");
        long first = FIRST_MISSING + 100;
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 16); Jedis jedis = pool.getResource()) {
            CacheAside cache = new CacheAside(database, pool, policy);
            for (long id = first; id < first + MISSING_IDS; id++) {
                cache.find(id); // each id once first, so that no two lookups below race to cache the same "not found"
            }

            OpenLoopResult lookups = lookUpMissingIds(cache, 100);
            long queriesWithinTheTtl = database.reads();
            long negativeHits = cache.metrics().negativeHits();
            // The stream ends ~1 s into the 2 s negative TTL; once Redis has expired the entries, one more lookup per id.
            await().atMost(policy.negativeTtl().plusSeconds(5)).until(() -> !jedis.exists(policy.key(first)));
            for (long id = first; id < first + MISSING_IDS; id++) {
                cache.find(id);
            }

            report.metric("missing_id_db_queries_negative_cache", queriesWithinTheTtl, "queries",
                    "Cache-aside caching 'not found' for 2 s: database queries for one lookup of each id, then the same "
                            + lookups.completed() + " lookups within the negative TTL.");
            assertThat(lookups.errors()).isZero();
            assertThat(queriesWithinTheTtl).as("queries within the negative TTL").isEqualTo(MISSING_IDS);
            assertThat(negativeHits).as("negative hits within the TTL").isEqualTo(lookups.completed());
            assertThat(database.reads() - queriesWithinTheTtl).as("queries once the negative TTL has ended").isEqualTo(MISSING_IDS);
            assertThat(cache.metrics().negativeHits()).as("negative hits after the TTL").isEqualTo(negativeHits);
            assertThat(jedis.pttl(policy.key(first))).as("the 'not found' is cached again, with its TTL").isPositive();
        }
    }

    @Test
    void creatingAProductDeletesItsCachedNotFound(RedisBackend redis) {
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        long id = FIRST_MISSING + 500;
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 4)) {
            CacheAside cache = new CacheAside(database, pool, policy("negative-create"));
            assertThat(cache.find(id)).isEmpty();
            assertThat(cache.find(id)).isEmpty();
            assertThat(cache.metrics().negativeHits()).isEqualTo(1);

            Product created = cache.create(id, "SKU-NEW-" + id, "New product", 7, 999);

            assertThat(cache.find(id)).as("right after the create").contains(created);
        }
    }

    private static CachePolicy policy(String name) {
        return CacheStrategiesFixture.policy(name, Duration.ofMinutes(10), Duration.ofSeconds(2));
    }

    private static OpenLoopResult lookUpMissingIds(ProductCatalog catalog, long offset) throws InterruptedException {
        return LoadRunner.atRate(LOOKUPS_PER_SECOND).duration(LOOKING).poisson(5)
                .run(sequence -> catalog.find(FIRST_MISSING + offset + sequence % MISSING_IDS));
    }
}
