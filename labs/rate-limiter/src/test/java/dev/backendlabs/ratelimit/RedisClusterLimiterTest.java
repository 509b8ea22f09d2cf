package dev.backendlabs.ratelimit;

import dev.backendlabs.ratelimit.RateLimiterFixture.HotKeyLoad;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisClusterBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.JedisClusterCRC16;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The limiters on a real Redis Cluster (three masters, each with a replica), where the one-key,
 * keys-in-KEYS design earns its keep: every decision is one {@code EVALSHA} on the master that
 * owns the key's slot, through a cluster-aware client ({@code RateLimiterBuilder.cluster}).
 *
 * <ul>
 *   <li>Buckets on keys spread over the slots are decided by all three masters, each exactly.</li>
 *   <li>A script given two keys in different slots is refused — by Jedis before it is sent, and by
 *       Redis with {@code CROSSSLOT} — and works once the keys share a {@code {hash tag}}.</li>
 *   <li>A manual {@code CLUSTER FAILOVER} of the hot key's master in the middle of a hammer: no
 *       admission beyond {@code capacity + rate × elapsed}, and the failure policy decides only
 *       while the old master holds writes back for the switch, never after it.</li>
 * </ul>
 */
@Lab
class RedisClusterLimiterTest {

    static {
        Backends.register(RedisClusterBackend.KIND);
    }

    private static final BucketPolicy POLICY = BucketPolicy.perSecond(100, 1000);
    private static final int THREADS = 32;

    @Test
    void bucketsSpreadOverTheSlotsAreDecidedExactlyByAllThreeMasters(RedisClusterBackend cluster, LabNamespace namespace) {
        BucketPolicy fiveThenWait = BucketPolicy.perSecond(5, 0.001);
        Map<HostAndPort, Integer> keysPerMaster = new HashMap<>();
        try (TokenBucketRateLimiter bucket = TokenBucketRateLimiter.builder(fiveThenWait).cluster(cluster.seeds())
                .timeout(Duration.ofSeconds(1)).build();
             GcraRateLimiter gcra = GcraRateLimiter.builder(fiveThenWait).cluster(cluster.seeds()).timeout(Duration.ofSeconds(1)).build()) {
            for (int i = 0; i < 30; i++) {
                for (ScriptedRateLimiter limiter : List.of(bucket, gcra)) {
                    String key = namespace.redisKey("cluster", "spread", limiter == bucket ? "bucket" : "gcra", "caller-" + i);
                    for (int spent = 1; spent <= 5; spent++) {
                        Decision decision = limiter.tryAcquire(key);
                        assertThat(decision.allowed()).as("%s, request %d", key, spent).isTrue();
                        assertThat(decision.remaining()).as("%s, request %d", key, spent)
                                .isBetween(BigDecimal.valueOf(5 - spent), BigDecimal.valueOf(5 - spent).add(new BigDecimal("0.01")));
                    }
                    Decision denied = limiter.tryAcquire(key);
                    assertThat(denied.allowed()).as("%s, the sixth request", key).isFalse();
                    assertThat(denied.retryAfterMillis()).as("the wait for one token at 0.001/s").isBetween(990_000L, 1_000_000L);

                    HostAndPort owner = cluster.masterOf(key);
                    keysPerMaster.merge(owner, 1, Integer::sum);
                    try (Jedis master = cluster.connect(owner)) {
                        assertThat(master.pttl(key)).as("%s on its master %s, with its TTL", key, owner).isPositive();
                    }
                }
            }
            assertThat(bucket.metrics().redisFailures() + gcra.metrics().redisFailures()).isZero();
        }
        assertThat(keysPerMaster.keySet()).as("masters that decided").containsExactlyInAnyOrderElementsOf(cluster.masters());
    }

    @Test
    void aScriptGivenKeysInTwoSlotsFailsWithCrossslotAndWorksOnceTheyShareAHashTag(RedisClusterBackend cluster,
                                                                                    LabNamespace namespace) {
        // The shape of Stripe's gist: the tokens and the timestamp of one bucket in two keys.
        LuaScript twoKeys = LuaScript.of("redis.call('SET', KEYS[1], ARGV[1]) redis.call('SET', KEYS[2], ARGV[2]) return 1");
        List<String> apart = List.of(namespace.redisKey("cluster", "tokens", "caller-7"), namespace.redisKey("cluster", "ts", "caller-7"));
        List<String> tagged = List.of(namespace.redisKey("cluster", "{caller-7}", "tokens"),
                namespace.redisKey("cluster", "{caller-7}", "ts"));
        assertThat(JedisClusterCRC16.getSlot(apart.get(0))).as("slots of the untagged keys")
                .isNotEqualTo(JedisClusterCRC16.getSlot(apart.get(1)));
        List<String> args = List.of("10", "1700000000000000");

        try (Jedis owner = cluster.connect(cluster.masterOf(apart.get(0)))) {
            twoKeys.load(owner);
            assertThatThrownBy(() -> twoKeys.run(owner, apart, args, () -> { })).as("Redis, sent to the first key's master")
                    .isInstanceOf(JedisDataException.class).hasMessageStartingWith("CROSSSLOT");
            assertThat(owner.exists(apart.get(0))).isFalse();
        }
        try (JedisCluster client = cluster.newClient(2, Duration.ofSeconds(1))) {
            assertThatThrownBy(() -> twoKeys.run(client, apart, args, () -> { })).as("Jedis, before sending")
                    .isInstanceOf(JedisClusterOperationException.class).hasMessageContaining("same hashslot");

            assertThat(twoKeys.run(client, tagged, args, () -> { })).as("the same keys with a shared {hash tag}").isEqualTo(1L);
            assertThat(List.of(client.get(tagged.get(0)), client.get(tagged.get(1)))).isEqualTo(args);
            assertThat(JedisClusterCRC16.getSlot(tagged.get(0))).isEqualTo(JedisClusterCRC16.getSlot(tagged.get(1)));
            client.del(tagged.get(0), tagged.get(1));
        }
    }

    private static final long DECISIONS = 60_000;
    /**
     * The decision budget of the failover test. The switch holds writes back for tens of milliseconds (measured: each of
     * 32 threads' decisions in flight waited 50–80 ms for it), and on this busy machine a round trip alone sometimes took
     * 400–700 ms in development runs, at any time: with the default 50 ms, blind decisions come from the machine, not from
     * the failover. The test is about what the switch does to decisions, so the budget rides out both.
     */
    private static final Duration SWITCH_BUDGET = Duration.ofSeconds(2);

    @Test
    void aManualFailoverDuringAHammerAdmitsNothingBeyondTheBoundAndDecidesBlindOnlyDuringTheSwitch(RedisClusterBackend cluster,
            LabNamespace namespace, LabReport report) throws Exception {
        String key = namespace.redisKey("cluster", "failover", UUID.randomUUID().toString());
        HostAndPort oldMaster = cluster.masterOf(key);
        try (TokenBucketRateLimiter limiter = TokenBucketRateLimiter.builder(POLICY).cluster(cluster.seeds())
                .failurePolicy(FailurePolicy.FAIL_CLOSED).timeout(SWITCH_BUDGET).maxConnections(THREADS).build()) {
            ConcurrentLinkedQueue<long[]> blind = new ConcurrentLinkedQueue<>();
            AtomicLong decided = new AtomicLong();
            long[] window = new long[2];
            AtomicReference<HostAndPort> newMaster = new AtomicReference<>();
            AtomicReference<Thread> failover = new AtomicReference<>();
            AtomicReference<RuntimeException> failoverError = new AtomicReference<>();
            RateLimiter watched = (k, cost) -> {
                if (decided.incrementAndGet() == DECISIONS / 4) {
                    failover.set(Thread.ofVirtual().start(() -> {
                        window[0] = RateLimiterFixture.wallMicros();
                        try {
                            newMaster.set(cluster.failover(oldMaster));
                        } catch (RuntimeException e) {
                            failoverError.set(e); // rethrown after the join, so the test fails with the cause (external mode refuses)
                        }
                        window[1] = RateLimiterFixture.wallMicros();
                    }));
                }
                long sent = RateLimiterFixture.wallMicros();
                Decision decision = limiter.tryAcquire(k, cost);
                if (decision.source() != Decision.Source.REDIS) {
                    blind.add(new long[] {sent, RateLimiterFixture.wallMicros()});
                }
                return decision;
            };

            HotKeyLoad.Result result = HotKeyLoad.run(watched, key, THREADS, DECISIONS, () -> {
                try (Jedis master = cluster.connect(cluster.masterOf(key))) {
                    return RateLimiterFixture.serverMicros(master);
                }
            });
            failover.get().join();
            if (failoverError.get() != null) {
                throw failoverError.get();
            }

            report.metric("cluster_overadmissions_during_failover", result.overAdmissions(POLICY), "requests", "Admissions above"
                    + " capacity + rate x elapsed by the Lua bucket on a Redis Cluster, 32 threads, " + DECISIONS + " decisions on one key,"
                    + " with a manual CLUSTER FAILOVER of its master a quarter of the way in.");
            report.metric("cluster_failover_blind_decisions", blind.size(), "decisions", "Decisions of that run made by the failure"
                    + " policy instead of Redis (budget " + SWITCH_BUDGET.toMillis() + " ms): the client waited out the old master's"
                    + " write pause, followed MOVED to the new master and found the script there.");
            assertThat(newMaster.get()).as("the promoted replica").isNotNull().isNotEqualTo(oldMaster);
            assertThat(result.overAdmissions(POLICY)).isZero();
            assertThat(blind).as("decisions by the failure policy, sent at (µs) ... and answered at").isEmpty();
            assertThat(limiter.metrics().scriptReloads()).as("NOSCRIPT on the new master: it had the script from the start").isZero();
            assertThat(Arrays.stream(result.admissions().answeredMicros()).filter(answered -> answered > window[1]).count())
                    .as("admissions after the switch, decided by the new master").isPositive();
        }
    }
}
