package dev.backendlabs.caching;

import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The race between a write and a concurrent read that misses, forced at its worst moment with a
 * hook in the source of truth, on the real database and Redis. Each test runs it on
 * {@value #TRIALS} products; an entry counts as stale for good when, after everything finished,
 * Redis holds an older version than the database with most of its day-long TTL left. Every count
 * here is fixed by the construction of the schedule: the hooks make the race happen every time.
 */
@Lab
class StaleSetRaceTest {

    private static final int TRIALS = 10;
    private static final Duration TTL = Duration.ofDays(1);

    @Test
    void deleteThenWriteCachesTheOldRowUntilItsTtl(RedisBackend redis, LabReport report) {
        long stale = race(redis, 10_000, "delete-then-write", (source, pool, policy) -> new NaiveCacheAside(source, pool, policy),
                Moment.BEFORE_THE_WRITE);

        report.metric("stale_forever_entries_delete_then_write", stale, "entries",
                "Delete, then write: a read between the delete and the commit caches the old row; stale entries left out of "
                        + TRIALS + " races (fixed by the schedule).");
        assertThat(stale).isEqualTo(TRIALS);
    }

    @Test
    void writeThenDeleteCachesTheOldRowWhenAReadSpansTheWrite(RedisBackend redis, LabReport report) {
        long stale = race(redis, 10_100, "write-then-delete", CacheAside::new, Moment.BETWEEN_LOAD_AND_STORE);

        report.metric("stale_forever_entries_write_then_delete", stale, "entries",
                "Write, then delete (cache-aside): a read that loaded the old row before the commit stores it after the delete; "
                        + "stale entries left out of " + TRIALS + " races (fixed by the schedule).");
        assertThat(stale).isEqualTo(TRIALS);
    }

    @Test
    void writeThenDeleteEvictsWhatAReadJustBeforeTheWriteCached(RedisBackend redis, LabReport report) {
        long stale = race(redis, 10_400, "write-then-delete-early-read", CacheAside::new, Moment.BEFORE_THE_WRITE);

        report.metric("stale_forever_entries_early_read", stale, "entries",
                "Write, then delete, against the schedule that defeats delete-then-write: stale entries left out of " + TRIALS + ".");
        assertThat(stale).isZero();
    }

    @Test
    void leaseRefusesTheStoreOfAReadThatSpansTheWrite(RedisBackend redis, LabReport report) {
        long stale = race(redis, 10_200, "lease",
                (source, pool, policy) -> new LeasedCache(source, pool, policy, Duration.ofSeconds(5), Duration.ZERO),
                Moment.BETWEEN_LOAD_AND_STORE);

        report.metric("stale_forever_entries_lease", stale, "entries",
                "The same race against the lease: the write deletes the lease, the read's store is refused; stale entries left out of "
                        + TRIALS + ".");
        assertThat(stale).isZero();
    }

    @Test
    void versionedWriteThroughKeepsTheWritersCopyWhenAReadSpansTheWrite(RedisBackend redis, LabReport report) {
        long stale = race(redis, 10_300, "write-through", WriteThroughCache::new, Moment.BETWEEN_LOAD_AND_STORE);

        report.metric("stale_forever_entries_write_through", stale, "entries",
                "The same race against write-through: the writer stores the new version, the read's older version is refused; "
                        + "stale entries left out of " + TRIALS + ".");
        assertThat(stale).isZero();
    }

    /** Where the hook runs the other side of the race. */
    private enum Moment {
        /** The writer has deleted the cached copy and not yet updated the row: a reader runs now. */
        BEFORE_THE_WRITE,
        /** A reader has loaded the row and not yet stored it: a writer runs now, commit and delete. */
        BETWEEN_LOAD_AND_STORE
    }

    private interface Strategy {
        ProductCatalog open(ProductCatalog source, JedisPool pool, CachePolicy policy);
    }

    // region race
    /** Runs the race on {@value #TRIALS} products from {@code firstId}; returns how many ended with a stale cached copy. */
    private static long race(RedisBackend redis, long firstId, String name, Strategy strategy, Moment moment) {
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        CachePolicy policy = CacheStrategiesFixture.policy("race-" + name, TTL, TTL);
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 4)) {
            ProductCatalog[] catalog = new ProductCatalog[1];
            Hooked source = new Hooked(database);
            catalog[0] = strategy.open(source, pool, policy);
            long stale = 0;
            for (long id = firstId; id < firstId + TRIALS; id++) {
                long price = database.find(id).orElseThrow().priceCents() + 1;
                if (moment == Moment.BEFORE_THE_WRITE) {
                    source.beforeUpdate(id, reading -> catalog[0].find(reading));
                    catalog[0].updatePrice(id, price);
                } else {
                    source.afterLoad(id, writing -> catalog[0].updatePrice(writing, price));
                    catalog[0].find(id);
                }
                stale += staleForGood(pool, policy, database, id) ? 1 : 0;
            }
            return stale;
        }
    }
    // endregion

    /** Redis holds an older version than the database, and the TTL will keep it there for most of a day. */
    private static boolean staleForGood(JedisPool pool, CachePolicy policy, ProductRepository database, long id) {
        try (Jedis jedis = pool.getResource()) {
            String cached = jedis.get(policy.key(id));
            if (cached == null) {
                return false;
            }
            long cachedVersion = EntryCodec.decode(id, cached).version();
            return cachedVersion < database.find(id).orElseThrow().version() && jedis.pttl(policy.key(id)) > TTL.toMillis() / 2;
        }
    }

    /** The repository, with a hook that runs once per product at the chosen moment of a read or a write. */
    private static final class Hooked implements ProductCatalog {

        private final ProductRepository database;
        private final Set<Long> fired = new HashSet<>();
        private long hookedId;
        private LongConsumer afterLoad = id -> { };
        private LongConsumer beforeUpdate = id -> { };

        Hooked(ProductRepository database) {
            this.database = database;
        }

        void afterLoad(long id, LongConsumer hook) {
            hookedId = id;
            afterLoad = hook;
        }

        void beforeUpdate(long id, LongConsumer hook) {
            hookedId = id;
            beforeUpdate = hook;
        }

        @Override
        public Optional<Product> find(long id) {
            Optional<Product> row = database.find(id);
            if (id == hookedId && fired.add(id)) {
                afterLoad.accept(id);
            }
            return row;
        }

        @Override
        public Product updatePrice(long id, long priceCents) {
            if (id == hookedId && fired.add(id)) {
                beforeUpdate.accept(id);
            }
            return database.updatePrice(id, priceCents);
        }

        @Override
        public Product create(long id, String sku, String name, int categoryId, long priceCents) {
            return database.create(id, sku, name, categoryId, priceCents);
        }
    }
}
