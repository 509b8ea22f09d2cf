package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.backend.RedisClusterBackend;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import redis.clients.jedis.HostAndPort;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Decisions per second of the Lua bucket and GCRA on the three-master Redis Cluster, against the
 * single Redis in the same run: 32 client threads, 10,000 keys within their limit (chosen by a
 * fixed hash of the request number, so spread over all three masters), a pool of 32 connections
 * per node. On this machine all six cluster nodes and the client share the same two cores, so the
 * cluster cannot add capacity here; what the run shows is what routing by slot costs the client.
 */
@Lab
class ClusterThroughputExperimentTest {

    static {
        Backends.register(RedisClusterBackend.KIND);
    }

    private static final int THREADS = 32;
    private static final int KEYS = 10_000;
    private static final BucketPolicy NEVER_REACHED = BucketPolicy.perSecond(1_000_000_000, 1_000_000_000);

    /** A measured cell, with the decisions the failure policy made instead of Redis (which would flatter the rate). */
    private record Cell(String target, String limiter, LoadResult load, long blind) {
    }

    @Experiment
    void bucketsOnTheClusterAgainstTheSingleRedis(RedisClusterBackend cluster, RedisBackend redis, LabNamespace namespace, Scale scale,
                                                   LabReport report) throws Exception {
        Duration warmup = scale.pick(Duration.ofMillis(200), Duration.ofSeconds(3));
        Duration measure = scale.pick(Duration.ofMillis(700), Duration.ofSeconds(10));
        List<Cell> cells = new ArrayList<>();
        HostAndPort single = new HostAndPort(redis.host(), redis.port());
        for (String limiter : List.of("lua", "gcra")) {
            try (ScriptedRateLimiter onCluster = builder(limiter).cluster(cluster.seeds()).maxConnections(THREADS)
                    .timeout(Duration.ofSeconds(2)).build();
                 ScriptedRateLimiter onOne = builder(limiter).redis(single).maxConnections(THREADS).timeout(Duration.ofSeconds(2))
                         .build()) {
                LoadResult clustered = measure(onCluster, namespace, "cluster-" + limiter, warmup, measure);
                cells.add(new Cell("cluster, 3 masters", limiter, clustered, onCluster.metrics().redisFailures()));
                LoadResult alone = measure(onOne, namespace, "single-" + limiter, warmup, measure);
                cells.add(new Cell("one Redis", limiter, alone, onOne.metrics().redisFailures()));
            }
        }

        ReportTable table = ReportTable.of("Decisions per second, 10,000 keys within limit, 32 threads (" + scale.label() + " scale, "
                + measure.toMillis() + " ms per cell)", "target", "limiter", "decisions/s", "p50 (µs)", "p99 (µs)", "errors", "blind");
        cells.forEach(cell -> table.row(cell.target(), cell.limiter(), Math.round(cell.load().throughputPerSecond()),
                cell.load().latency().p50Ms() * 1000, cell.load().latency().p99Ms() * 1000, cell.load().errors(), cell.blind()));
        report.table(table);
        report.metric("cluster_decisions_per_s", cells.get(0).load().throughputPerSecond(), "decisions/s",
                "Lua bucket on the Redis Cluster (3 masters, 3 replicas, all on the same 2 cores as the client), 10,000 keys within"
                        + " their limit, 32 threads, through JedisCluster.");

        assertThat(cells).allSatisfy(cell -> assertThat(cell.load().operations()).as("%s, %s", cell.target(), cell.limiter()).isPositive());
        assertThat(cells).allSatisfy(cell -> assertThat(cell.load().errors() + cell.blind()).as("%s, %s: errors and blind decisions",
                cell.target(), cell.limiter()).isZero());
    }

    private static RateLimiterBuilder<? extends ScriptedRateLimiter> builder(String limiter) {
        return limiter.equals("lua") ? TokenBucketRateLimiter.builder(NEVER_REACHED) : GcraRateLimiter.builder(NEVER_REACHED);
    }

    private static LoadResult measure(RateLimiter limiter, LabNamespace namespace, String name, Duration warmup, Duration measure)
            throws InterruptedException {
        String prefix = namespace.redisKey("cluster-throughput", name, Long.toString(System.nanoTime()));
        LongFunction<String> keyOf = sequence -> prefix + ":" + Math.floorMod(Long.hashCode(sequence * 0x9E3779B97F4A7C15L), KEYS);
        LoadRunner.workers(THREADS).duration(warmup).run((worker, sequence) -> limiter.tryAcquire(keyOf.apply(sequence)));
        return LoadRunner.workers(THREADS).duration(measure).run((worker, sequence) -> limiter.tryAcquire(keyOf.apply(sequence)));
    }
}
