package dev.backendlabs.caching;

import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * XFetch's decision with the random draw fixed, so each case is exact: a read rebuilds the entry
 * early exactly when {@code δ · β · −ln(u)} reaches the TTL left, and a rebuild re-arms the TTL.
 */
@Lab
class EarlyExpirationTest {

    private static final long ID = 60_001;
    /** −ln(e^−1) = 1, so the rule reduces to δ · β ≥ time left. */
    private static final double DRAW_OF_ONE = Math.exp(-1);

    @Test
    void theRuleRebuildsWhenDeltaTimesBetaTimesTheDrawReachesTheTimeLeft() {
        CachePolicy policy = new CachePolicy("shop:", Duration.ofMinutes(1), Duration.ofMinutes(1));
        XFetchCache betaOne = new XFetchCache(null, null, policy, 1, () -> DRAW_OF_ONE);
        XFetchCache betaTwo = new XFetchCache(null, null, policy, 2, () -> DRAW_OF_ONE);

        assertThat(betaOne.rebuildEarly(100, 100)).isTrue();
        assertThat(betaOne.rebuildEarly(100, 101)).isFalse();
        assertThat(betaTwo.rebuildEarly(100, 200)).isTrue();
        assertThat(betaTwo.rebuildEarly(100, 201)).isFalse();
        assertThat(betaOne.rebuildEarly(100, -1)).as("a key without a TTL").isFalse();
        assertThat(new XFetchCache(null, null, policy, 1, () -> 1.0).rebuildEarly(1_000_000, 0)).as("u = 1 draws 0").isTrue();
    }

    @Test
    void aReadInsideTheWindowRebuildsAndReArmsTheTtlWhileOneOutsideUsesTheEntry(RedisBackend redis) {
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        CachePolicy policy = CacheStrategiesFixture.policy("xfetch-rule", Duration.ofMinutes(1), Duration.ofMinutes(1));
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 2); Jedis jedis = pool.getResource()) {
            XFetchCache cache = new XFetchCache(database, pool, policy, 1, () -> DRAW_OF_ONE);
            Product product = database.find(ID).orElseThrow();
            // δ = 10 s: with the draw fixed at 1, the entry is rebuilt once it has 10 s or less to live.
            String entry = EntryCodec.encode(CacheEntry.of(ID, Optional.of(product), 10_000_000));

            jedis.psetex(policy.key(ID), 30_000, entry);
            long reads = database.reads();
            assertThat(cache.find(ID)).contains(product);
            assertThat(database.reads()).as("loads with 30 s left").isEqualTo(reads);

            jedis.psetex(policy.key(ID), 5_000, entry);
            assertThat(cache.find(ID)).contains(product);
            assertThat(database.reads()).as("loads with 5 s left").isEqualTo(reads + 1);
            assertThat(cache.metrics().earlyRefreshes()).isEqualTo(1);
            assertThat(jedis.pttl(policy.key(ID))).as("TTL after the rebuild (ms)").isGreaterThan(50_000);
        }
    }
}
