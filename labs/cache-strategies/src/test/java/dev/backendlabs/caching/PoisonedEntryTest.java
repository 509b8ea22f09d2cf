package dev.backendlabs.caching;

import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A malformed value under a product's key — written by a buggy path, an older deploy, another
 * service — and a client reading it every {@value #PAUSE_MILLIS} ms across its one-second TTL. The naive
 * read trusts it and fails every time until it expires; the validated read deletes it at the first
 * read and answers from the database. Both face the same value and the same schedule, after one
 * unmeasured read of another poisoned key, so that class loading does not hold the first read.
 */
@Lab
class PoisonedEntryTest {

    private static final int PAUSE_MILLIS = 10;
    private static final Duration POISON_TTL = Duration.ofSeconds(1);
    /** The reads go on a little past the TTL, to show the naive read recovering once the value is gone. */
    private static final Duration READING = POISON_TTL.plusMillis(300);
    /** The price is a string, as an older deploy that wrote "12.50" would have stored it. */
    private static final String WRONG_TYPE = """
            {"version":1,"loadMicros":0,"product":{"id":%d,"sku":"SKU-1","name":"Product","categoryId":1,"priceCents":"12.50",\
            "version":1,"reviewCount":0,"averageRating":0,"relatedIds":[]}}""";

    @Test
    void naiveReadFailsOnEveryReadUntilTheMalformedValueExpires(RedisBackend redis, LabReport report) throws InterruptedException {
        long id = 20_001;
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 8)) {
            CachePolicy policy = CacheStrategiesFixture.policy("poison-naive", Duration.ofMinutes(10), Duration.ofSeconds(10));
            NaiveCacheAside naive = new NaiveCacheAside(new ProductRepository(CacheStrategiesFixture.database()), pool, policy);
            warmUp(naive, pool, policy, id + 100);
            poison(pool, policy, id);

            LoadResult reads = reading(() -> naive.find(id));

            report.metric("poisoned_failures_naive", reads.errors(), "reads",
                    "Naive cache-aside: reads that failed on a malformed value, one read every " + PAUSE_MILLIS + " ms across its "
                            + POISON_TTL.toMillis() + " ms TTL (the count is fixed by that schedule).");
            assertThat(reads.errorsByType()).containsOnlyKeys(MalformedEntryException.class.getName());
            assertThat(reads.errors()).as("reads that failed").isGreaterThan(1);
            assertThat(naive.find(id)).as("after the TTL").isPresent();
        }
    }

    @Test
    void validatedReadDeletesTheMalformedValueOnceAndRecovers(RedisBackend redis, LabReport report) throws InterruptedException {
        long id = 20_002;
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 8)) {
            CachePolicy policy = CacheStrategiesFixture.policy("poison-validated", Duration.ofMinutes(10), Duration.ofSeconds(10));
            CacheAside cache = new CacheAside(new ProductRepository(CacheStrategiesFixture.database()), pool, policy);
            warmUp(cache, pool, policy, id + 100);
            poison(pool, policy, id);

            LoadResult reads = reading(() -> cache.find(id).orElseThrow());

            report.metric("poisoned_failures_validated", cache.metrics().poisonedEntries() - 1, "reads",
                    "Validated cache-aside: reads that met the malformed value (it deleted it and answered from the database), "
                            + "same schedule.");
            assertThat(cache.metrics().poisonedEntries() - 1).as("reads that met the malformed value").isEqualTo(1);
            assertThat(reads.errors()).as("reads that failed").isZero();
            assertThat(reads.operations()).as("reads").isGreaterThan(10);
            try (Jedis jedis = pool.getResource()) {
                assertThat(EntryCodec.decode(id, jedis.get(policy.key(id))).found()).as("cached afterwards").isPresent();
            }
        }
    }

    @Test
    void everyKindOfMalformedValueIsDeletedAndReplacedByTheRow(RedisBackend redis) {
        long id = 20_003;
        List<String> malformed = List.of(
                "{\"version\":1,\"loadMicros\":0,\"product\":{\"id\":" + id + ",\"sku\":\"S\",\"name\":\"N\"", // truncated
                WRONG_TYPE.formatted(id),
                "{\"version\":1,\"loadMicros\":0,\"product\":{\"id\":" + id + ",\"name\":\"no sku, no price\"}}",
                WRONG_TYPE.formatted(id).replace("\"12.50\"", "-5"), // negative price
                WRONG_TYPE.formatted(id + 1).replace("\"12.50\"", "1250"), // another product's entry
                "{\"version\":0,\"loadMicros\":0,\"product\":null} trailing",
                "ERROR: connection reset", // an error cached as a value
                "");
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        Product row = database.find(id).orElseThrow();
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 4); Jedis jedis = pool.getResource()) {
            CachePolicy policy = CacheStrategiesFixture.policy("poison-kinds", Duration.ofMinutes(10), Duration.ofSeconds(10));
            CacheAside cache = new CacheAside(database, pool, policy);
            for (String value : malformed) {
                jedis.set(policy.key(id), value);
                assertThat(cache.find(id)).as(value).contains(row);
                assertThat(EntryCodec.decode(id, jedis.get(policy.key(id))).found()).as("stored after " + value).contains(row);
            }
            jedis.del(policy.key(id));
            jedis.rpush(policy.key(id), "a list where a string belongs");
            assertThat(cache.find(id)).as("WRONGTYPE").contains(row);
            assertThat(cache.metrics().poisonedEntries()).isEqualTo(malformed.size() + 1);
        }
    }

    @Test
    void aLoaderResultThatIsNotTheKeysProductIsNeverStored(RedisBackend redis) {
        long id = 20_004;
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        ProductCatalog buggy = new ProductCatalog() {
            @Override
            public Optional<Product> find(long requested) {
                return database.find(requested + 1); // an off-by-one in a loader
            }

            @Override
            public Product updatePrice(long productId, long priceCents) {
                return database.updatePrice(productId, priceCents);
            }

            @Override
            public Product create(long productId, String sku, String name, int categoryId, long priceCents) {
                return database.create(productId, sku, name, categoryId, priceCents);
            }
        };
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 4); Jedis jedis = pool.getResource()) {
            CachePolicy policy = CacheStrategiesFixture.policy("poison-loader", Duration.ofMinutes(10), Duration.ofSeconds(10));
            CacheAside cache = new CacheAside(buggy, pool, policy);

            assertThatThrownBy(() -> cache.find(id)).isInstanceOf(MalformedEntryException.class)
                    .hasMessageContaining("returned product " + (id + 1) + " for id " + id);
            assertThat(jedis.exists(policy.key(id))).as("stored").isFalse();
        }
    }

    /** One client reading back to back with a pause: the same schedule for both reads. */
    private static LoadResult reading(Callable<?> read) throws InterruptedException {
        return LoadRunner.workers(1).thinkTime(Duration.ofMillis(PAUSE_MILLIS)).duration(READING).run((worker, sequence) -> read.call());
    }

    /** One read of a poisoned key, unmeasured: the failure path's classes load here, not during the measured reads. */
    private static void warmUp(ProductCatalog catalog, JedisPool pool, CachePolicy policy, long id) {
        poison(pool, policy, id);
        try {
            catalog.find(id);
        } catch (MalformedEntryException expected) {
            // the naive read fails, as it will below
        }
    }

    /** What a buggy path does: a value this code cannot read, with a TTL. */
    private static void poison(JedisPool pool, CachePolicy policy, long id) {
        try (Jedis jedis = pool.getResource()) {
            jedis.psetex(policy.key(id), POISON_TTL.toMillis(), WRONG_TYPE.formatted(id));
        }
    }
}
