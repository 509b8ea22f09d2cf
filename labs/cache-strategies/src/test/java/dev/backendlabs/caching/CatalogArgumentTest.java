package dev.backendlabs.caching;

import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad input gets a typed error that names the argument, before any round trip, and changes nothing in the database or the cache. */
@Lab
class CatalogArgumentTest {

    private static final long ID = 50_001;

    @Test
    void badIdsAndPricesAreRefusedByEveryStrategyAndChangeNothing(RedisBackend redis) {
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        CachePolicy policy = CacheStrategiesFixture.policy("arguments", Duration.ofMinutes(10), Duration.ofSeconds(10));
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 4);
             TwoTierCache twoTier = TwoTierCache.ttlOnly(new CacheAside(database, pool, policy), new TwoTierCache.L1Policy(10,
                     Duration.ofSeconds(10)));
             Jedis jedis = pool.getResource()) {
            Map<String, ProductCatalog> strategies = Map.of(
                    "repository", database,
                    "cache-aside", new CacheAside(database, pool, policy),
                    "read-through", new ReadThroughCache(database, pool, policy),
                    "write-through", new WriteThroughCache(database, pool, policy),
                    "lease", new LeasedCache(database, pool, policy, Duration.ofSeconds(1), Duration.ofSeconds(1)),
                    "xfetch", new XFetchCache(database, pool, policy),
                    "two tiers", twoTier);
            Product before = database.find(ID).orElseThrow();
            String cachedBefore = cacheAside(database, pool, policy, jedis);
            long reads = database.reads();
            long writes = database.writes();

            strategies.forEach((name, catalog) -> {
                refused(() -> catalog.find(0), "id", name);
                refused(() -> catalog.find(-1), "id", name);
                refused(() -> catalog.updatePrice(-1, 100), "id", name);
                refused(() -> catalog.updatePrice(ID, -1), "priceCents", name);
                refused(() -> catalog.create(ID + 1_000_000, " ", "name", 1, 100), "sku", name);
            });

            assertThat(database.reads()).as("reads sent").isEqualTo(reads);
            assertThat(database.writes()).as("writes sent").isEqualTo(writes);
            assertThat(database.find(ID)).contains(before);
            assertThat(jedis.get(policy.key(ID))).isEqualTo(cachedBefore);
        }
    }

    @Test
    void aWriteToAMissingProductOrATakenIdIsRefusedAndChangesNothing(RedisBackend redis) {
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        CachePolicy policy = CacheStrategiesFixture.policy("arguments-missing", Duration.ofMinutes(10), Duration.ofSeconds(10));
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 4); Jedis jedis = pool.getResource()) {
            CacheAside cache = new CacheAside(database, pool, policy);
            String cachedBefore = cacheAside(database, pool, policy, jedis);
            Product before = database.find(ID).orElseThrow();
            long missing = CacheStrategiesFixture.PRODUCTS + 77_777;

            assertThatThrownBy(() -> cache.updatePrice(missing, 100)).isInstanceOf(ProductNotFoundException.class)
                    .hasMessage("catalog: no product with id " + missing);
            assertThatThrownBy(() -> cache.create(ID, "SKU-OTHER", "Other", 1, 100)).isInstanceOf(CatalogArgumentException.class)
                    .hasMessageContaining("id and sku must be unused");

            assertThat(database.find(missing)).isEmpty();
            assertThat(database.find(ID)).contains(before);
            assertThat(jedis.get(policy.key(ID))).isEqualTo(cachedBefore);
        }
    }

    @Test
    void settingsOutOfRangeAreRefused() {
        Duration minute = Duration.ofMinutes(1);
        refused(() -> new CachePolicy(" ", minute, minute), "keyPrefix", "policy");
        refused(() -> new CachePolicy("shop:{product}:", minute, minute), "keyPrefix", "policy");
        refused(() -> new CachePolicy("shop:", Duration.ZERO, Duration.ZERO), "ttl", "policy");
        refused(() -> new CachePolicy("shop:", minute, minute.plusSeconds(1)), "negativeTtl", "policy");
        refused(() -> new TwoTierCache.L1Policy(0, minute), "maximumSize", "L1");
        refused(() -> new TwoTierCache.L1Policy(10, Duration.ZERO), "ttl", "L1");
        CachePolicy policy = new CachePolicy("shop:", minute, minute);
        refused(() -> new XFetchCache(null, null, policy, 0, () -> 0.5), "beta", "xfetch");
        refused(() -> new LeasedCache(null, null, policy, Duration.ZERO, minute), "leaseTtl", "lease");
        refused(() -> new LeasedCache(null, null, policy, minute, minute.negated()), "staleWindow", "lease");
        refused(() -> TwoTierCache.withInvalidation(null, new TwoTierCache.L1Policy(10, minute), null, " ", null), "channel", "two tiers");
        refused(() -> new Product(1, "SKU", "Name", 1, 100, 1, 0, 6, List.of()), "averageRating", "product");
    }

    /** Caches the product through cache-aside and returns the value stored, to compare with afterwards. */
    private static String cacheAside(ProductRepository database, JedisPool pool, CachePolicy policy, Jedis jedis) {
        new CacheAside(database, pool, policy).find(ID);
        return jedis.get(policy.key(ID));
    }

    private static void refused(ThrowingCallable call, String argument, String by) {
        assertThatThrownBy(call).as(by).isInstanceOfSatisfying(CatalogArgumentException.class,
                e -> assertThat(e.argument()).isEqualTo(argument));
    }
}
