package dev.backendlabs.shared.backend;

import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

import java.util.Arrays;
import java.util.List;

/**
 * Starts (or finds) the Redis Cluster in each mode.
 *
 * <p><b>Why docker mode runs the embedded cluster.</b> A cluster tells its clients where each slot lives
 * ({@code MOVED 3999 172.17.0.3:6379}), so every node must announce an address that both the
 * other nodes and this JVM can reach. Containers on Docker's bridge network announce bridge
 * addresses, which a JVM on macOS or Windows cannot reach; the fix is six containers, each with
 * its own fixed published port and bus port and {@code cluster-announce-ip}, {@code -port} and
 * {@code -bus-port} set to match, or host networking, which only Linux has. That is a setup CI
 * (which has no Docker engine) could never verify. The six {@code redis-server} processes of
 * embedded mode run wherever the single embedded Redis does, Docker or not, so docker mode starts
 * those (the run's report says embedded), and fails with a {@link BackendStartException} that says
 * why only on a platform without the embedded binaries.
 */
final class RedisClusterServers {

    /** {@code host:port[,host:port...]}: any nodes of a running cluster, for external mode. */
    static final String NODES = "LABS_REDIS_CLUSTER_NODES";

    private RedisClusterServers() {
    }

    static RunningServer<RedisClusterBackend> docker() {
        EmbeddedPlatform.unsupportedReason().ifPresent(reason -> {
            throw new BackendStartException("redis-cluster", BackendMode.DOCKER, "docker mode runs the embedded cluster (in containers"
                    + " every node would need a hand-set announced address and published bus port), and this platform has no embedded"
                    + " binaries (" + reason + "); point " + NODES + " at a cluster of your own with -Dlabs.backend=external", null);
        });
        return embedded();
    }

    /** Six processes; if the handle cannot be built, they are stopped and their directory deleted before the error propagates. */
    static RunningServer<RedisClusterBackend> embedded() {
        RedisClusterEmbedded cluster = RedisClusterEmbedded.launch();
        RedisClusterBackend backend;
        try {
            backend = new RedisClusterBackend(BackendMode.EMBEDDED, cluster.nodes(), cluster);
        } catch (RuntimeException | Error e) {
            try {
                cluster.destroy();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new RunningServer<>(backend, cluster::destroy);
    }

    /** The nodes named by {@code LABS_REDIS_CLUSTER_NODES}, checked with a real {@code CLUSTER INFO}. */
    static RunningServer<RedisClusterBackend> external(BackendSettings settings) {
        String nodes = settings.get(NODES);
        if (nodes == null || nodes.isBlank()) {
            throw new BackendStartException("redis-cluster", BackendMode.EXTERNAL, NODES + " is not set: name any nodes of your"
                    + " cluster as host:port[,host:port...]", null);
        }
        try {
            List<HostAndPort> seeds = Arrays.stream(nodes.split(",")).map(String::trim).map(HostAndPort::from).toList();
            try (Jedis jedis = new Jedis(seeds.get(0))) {
                String info = jedis.clusterInfo();
                if (!info.contains("cluster_state:ok")) {
                    throw new IllegalStateException("CLUSTER INFO of " + seeds.get(0) + " does not say cluster_state:ok");
                }
            }
            RedisClusterBackend backend = new RedisClusterBackend(BackendMode.EXTERNAL, seeds,
                    FaultControl.unsupported("redis-cluster", BackendMode.EXTERNAL));
            return new RunningServer<>(backend, () -> { });
        } catch (RuntimeException e) {
            throw new BackendStartException("redis-cluster", BackendMode.EXTERNAL, NODES + "=" + nodes, e);
        }
    }
}
