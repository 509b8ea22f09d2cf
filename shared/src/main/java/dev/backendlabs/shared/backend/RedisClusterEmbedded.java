package dev.backendlabs.shared.backend;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * A Redis Cluster of six real {@code redis-server} processes — three masters, each with one
 * replica — from the binary bundled in the embedded-redis artifact, on loopback ports that survive
 * {@link #stop()} and {@link #start()}.
 *
 * <p>Everything a node writes — its configuration, its {@code nodes-<port>.conf}, the binary
 * itself — lives in one temporary directory, which {@link #destroy()} deletes after the processes
 * have exited. Persistence is off, as for the single embedded Redis: a restarted cluster comes
 * back with the same nodes, ports and slots, and no data.
 *
 * <p>The cluster is formed by hand, as {@code redis-cli --cluster create} would: every node meets
 * the first, each master takes a third of the 16,384 slots, each replica replicates its master,
 * and the start returns once every node reports {@code cluster_state:ok}, knows all six nodes, and
 * every replica's link to its master is up.
 */
final class RedisClusterEmbedded implements FaultControl {

    static final int MASTERS = 3;
    private static final int SLOTS = 16_384;
    /** A node's cluster bus listens on its port + 10,000. */
    private static final int BUS_OFFSET = 10_000;
    private static final Duration FORMATION_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final int LAUNCH_ATTEMPTS = 3;

    private final Path directory;
    /** The masters' ports, then their replicas' in the same order. */
    private final List<Integer> ports;
    private final List<RedisServer> servers = new ArrayList<>();

    private RedisClusterEmbedded(Path directory, File binary, List<Integer> ports) {
        this.directory = directory;
        this.ports = List.copyOf(ports);
        for (int port : ports) {
            servers.add(new RedisServer(port, List.of(binary.getAbsolutePath(), writeConfiguration(port).toString()), false,
                    line -> { }, line -> { }));
        }
    }

    /**
     * Starts and forms a cluster on freshly picked ports. Another process may take a port (or its bus
     * port) between the pick and the bind; a failed start then tries new ports, since no client knows
     * the old ones yet. A cluster that cannot be formed is stopped and its directory deleted.
     */
    static RedisClusterEmbedded launch() {
        Path directory = TempDirectories.create("redis-cluster-");
        try {
            File binary = ExecutableProvider.newJarResourceProvider(directory.toFile()).get();
            RuntimeException last = null;
            for (int attempt = 0; attempt < LAUNCH_ATTEMPTS; attempt++) {
                RedisClusterEmbedded cluster = new RedisClusterEmbedded(directory, binary, pickPorts(2 * MASTERS));
                try {
                    cluster.startNodes();
                    cluster.form();
                    return cluster;
                } catch (RuntimeException e) {
                    cluster.stop();
                    last = e;
                }
            }
            throw last;
        } catch (IOException e) {
            TempDirectories.delete(directory);
            throw new UncheckedIOException("Cannot extract redis-server into " + directory, e);
        } catch (RuntimeException e) {
            TempDirectories.delete(directory);
            throw e;
        }
    }

    List<HostAndPort> nodes() {
        return ports.stream().map(port -> new HostAndPort("127.0.0.1", port)).toList();
    }

    Path directory() {
        return directory;
    }

    @Override
    public synchronized void stop() {
        for (RedisServer server : servers) {
            try {
                server.stop();
            } catch (IOException e) {
                throw new UncheckedIOException("Could not stop a redis-server of the cluster in " + directory, e);
            }
        }
    }

    /** Starts every node again on its port, with its node id and slots from its nodes file, and waits for the cluster. */
    @Override
    public synchronized void start() {
        if (running()) {
            return;
        }
        for (int i = 0; i < servers.size(); i++) {
            RedisServer server = servers.get(i);
            Restarts.retry("redis-server of the cluster on port " + ports.get(i), FORMATION_TIMEOUT, () -> {
                server.start();
                return server;
            });
        }
        awaitFormed(ports);
    }

    @Override
    public synchronized boolean running() {
        return servers.stream().allMatch(RedisServer::isActive);
    }

    /** Stops every node, waiting for each process to exit, then deletes the directory with the cluster's files. */
    void destroy() {
        try {
            stop();
        } finally {
            TempDirectories.delete(directory);
        }
    }

    private Path writeConfiguration(int port) {
        Path file = directory.resolve("node-" + port + ".conf");
        String configuration = String.join("\n",
                "port " + port,
                "bind 127.0.0.1",
                "dir " + directory.toAbsolutePath(),
                "cluster-enabled yes",
                "cluster-config-file nodes-" + port + ".conf",
                // Failure detection; a manual CLUSTER FAILOVER does not wait for it. Long enough that a node stalled
                // on a busy machine is not failed over behind a test's back.
                "cluster-node-timeout 5000",
                "save \"\"",
                "appendonly no",
                "");
        try {
            return Files.writeString(file, configuration);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
    }

    private void startNodes() {
        for (RedisServer server : servers) {
            try {
                server.start();
            } catch (IOException e) {
                throw new UncheckedIOException("A redis-server of the cluster did not start in " + directory, e);
            }
        }
    }

    /** Every node meets the first; the masters split the slots; once all six know each other, each replica follows its master. */
    private void form() {
        for (int port : ports.subList(1, ports.size())) {
            call(port, jedis -> jedis.clusterMeet("127.0.0.1", ports.get(0)));
        }
        List<String> masterIds = new ArrayList<>();
        for (int m = 0; m < MASTERS; m++) {
            int first = m * SLOTS / MASTERS;
            int end = (m + 1) * SLOTS / MASTERS;
            masterIds.add(call(ports.get(m), jedis -> {
                jedis.clusterAddSlots(IntStream.range(first, end).toArray());
                return jedis.clusterMyId();
            }));
        }
        await("every node of the cluster on " + ports + " to know the other five", () -> ports.stream()
                .allMatch(port -> call(port, jedis -> knowsAll(RedisClusterBackend.Node.parse(jedis.clusterNodes())))));
        for (int r = 0; r < MASTERS; r++) {
            String masterId = masterIds.get(r);
            call(ports.get(MASTERS + r), jedis -> jedis.clusterReplicate(masterId));
        }
        awaitFormed(ports);
    }

    /** Three masters with every slot, three replicas whose links are up, and every node saying so. */
    private static void awaitFormed(List<Integer> ports) {
        await("the cluster on " + ports + " to be formed", () -> ports.stream().allMatch(port -> call(port, jedis -> {
            String info = jedis.clusterInfo();
            List<RedisClusterBackend.Node> nodes = RedisClusterBackend.Node.parse(jedis.clusterNodes());
            boolean replicaInSync = nodes.stream().noneMatch(node -> node.myself() && !node.master())
                    || jedis.info("replication").contains("master_link_status:up");
            return info.contains("cluster_state:ok") && info.contains("cluster_slots_assigned:" + SLOTS) && knowsAll(nodes)
                    && nodes.stream().filter(node -> !node.master()).count() == MASTERS && replicaInSync;
        })));
    }

    /** Six nodes, none still in handshake, without an address, or suspected of failing. */
    private static boolean knowsAll(List<RedisClusterBackend.Node> nodes) {
        return nodes.size() == 2 * MASTERS && nodes.stream().allMatch(RedisClusterBackend.Node::healthy);
    }

    private static <T> T call(int port, Function<Jedis, T> command) {
        try (Jedis jedis = new Jedis("127.0.0.1", port, 2_000)) {
            return command.apply(jedis);
        }
    }

    /** Polls {@code condition} until it holds; a node that does not answer yet counts as "not yet". */
    static void await(String what, Supplier<Boolean> condition) {
        Retry retry = Retry.of(what, RetryConfig.<Boolean>custom()
                .maxAttempts((int) (FORMATION_TIMEOUT.toMillis() / POLL.toMillis()))
                .waitDuration(POLL)
                .retryOnResult(done -> !done)
                .retryExceptions(Exception.class)
                .build());
        boolean done;
        try {
            done = retry.executeSupplier(condition);
        } catch (RuntimeException e) {
            throw new IllegalStateException("Waited " + FORMATION_TIMEOUT + " for " + what, e);
        }
        if (!done) {
            throw new IllegalStateException("Waited " + FORMATION_TIMEOUT + " for " + what);
        }
    }

    /** {@code count} free loopback ports whose cluster bus ports (+10,000) are free and within range too. */
    private static List<Integer> pickPorts(int count) {
        List<Integer> picked = new ArrayList<>();
        while (picked.size() < count) {
            int port = FreePorts.pick();
            if (port + BUS_OFFSET <= 65_535 && !picked.contains(port) && !picked.contains(port + BUS_OFFSET)
                    && !picked.contains(port - BUS_OFFSET) && isFree(port + BUS_OFFSET)) {
                picked.add(port);
            }
        }
        return picked;
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
