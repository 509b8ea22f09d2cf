package dev.backendlabs.caching;

import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Redis stops in the middle of the traffic and comes back a second later (the real server, same
 * port, empty, as a crashed cache node comes back). The failure policy: every read is answered
 * from the database while Redis is away, within the pool's timeouts; writes still commit; the
 * cache fills again once Redis is back.
 */
@Lab
class RedisOutageTest {

    private static final int IDS = 50;
    private static final long FIRST_ID = 40_001;

    @Test
    void everyReadIsAnsweredWhileRedisIsDownAndTheCacheFillsAgainAfterIt(RedisBackend redis, LabReport report) throws Exception {
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 16);
             ExecutorService outage = Executors.newSingleThreadExecutor()) {
            CacheAside cache = new CacheAside(database, pool, CacheStrategiesFixture.policy("outage", Duration.ofMinutes(10),
                    Duration.ofSeconds(10)));
            for (long id = FIRST_ID; id < FIRST_ID + IDS; id++) {
                cache.find(id);
            }
            Future<?> stopThenStart = outage.submit(() -> {
                sleep(Duration.ofSeconds(1));
                redis.stop();
                sleep(Duration.ofSeconds(1));
                redis.start();
            });

            OpenLoopResult reads = LoadRunner.atRate(200).duration(Duration.ofSeconds(3)).poisson(3)
                    .run(sequence -> assertThat(cache.find(FIRST_ID + sequence % IDS)).isPresent());
            stopThenStart.get();
            long hitsBeforeRefill = cache.metrics().hits();
            for (long id = FIRST_ID; id < FIRST_ID + IDS; id++) {
                cache.find(id);
            }

            report.metric("reads_failed_during_redis_outage", reads.errors(), "reads",
                    reads.completed() + " reads at 200/s over 50 products, Redis stopped for 1 s in the middle: reads that failed.");
            assertThat(reads.errors()).as("reads that failed").isZero();
            assertThat(cache.metrics().redisFailures()).as("reads answered by the database instead").isPositive();
            assertThat(cache.metrics().hits()).as("hits once Redis is back").isGreaterThan(hitsBeforeRefill);
        }
    }

    @Test
    void aWriteWhileRedisIsDownCommitsAndCountsItsFailedInvalidation(RedisBackend redis) {
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        long id = FIRST_ID + IDS;
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 4)) {
            CacheAside cache = new CacheAside(database, pool, CacheStrategiesFixture.policy("outage-write", Duration.ofMinutes(10),
                    Duration.ofSeconds(10)));
            Product before = cache.find(id).orElseThrow();
            Product written;

            redis.stop();
            try {
                written = cache.updatePrice(id, before.priceCents() + 1);
                assertThat(cache.find(id)).as("read during the outage").contains(written);
            } finally {
                redis.start();
            }

            assertThat(written.version()).isEqualTo(before.version() + 1);
            assertThat(database.find(id)).contains(written);
            assertThat(cache.metrics().invalidationFailures()).isEqualTo(1);
        }
    }

    @Test
    void naiveReadsFailWithRedisExceptionWhileRedisIsDown(RedisBackend redis) {
        ProductRepository database = new ProductRepository(CacheStrategiesFixture.database());
        long id = FIRST_ID + IDS + 1;
        try (JedisPool pool = CacheStrategiesFixture.jedisPool(redis, 4)) {
            NaiveCacheAside naive = new NaiveCacheAside(database, pool,
                    CacheStrategiesFixture.policy("outage-naive", Duration.ofMinutes(10), Duration.ofSeconds(10)));
            assertThat(naive.find(id)).isPresent();

            redis.stop();
            try {
                assertThatThrownBy(() -> naive.find(id)).as("a read during the outage").isInstanceOf(JedisException.class);
            } finally {
                redis.start();
            }

            assertThat(database.reads()).as("database queries: the first read only").isEqualTo(1);
        }
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
