package dev.backendlabs.shared.backend;

import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisClusterCRC16;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A running Redis Cluster: three masters, each with a replica, that split the 16,384 slots. Obtain
 * it with {@code Backends.get(RedisClusterBackend.KIND)}, or as a test parameter once the kind is
 * registered ({@code Backends.register(RedisClusterBackend.KIND)}, which loading this class does).
 *
 * <table>
 *   <caption>Modes</caption>
 *   <tr><td>embedded</td><td>six {@code redis-server} processes of the embedded-redis artifact on loopback ports,
 *   their files in one temporary directory deleted at the end ({@link RedisClusterEmbedded})</td></tr>
 *   <tr><td>external</td><td>{@code LABS_REDIS_CLUSTER_NODES=host:port[,host:port...]}, any nodes of a running cluster
 *   (no credentials); this run does not own it, so {@link #stop()}, {@link #start()} and {@link #failover} refuse</td></tr>
 *   <tr><td>docker</td><td>not supported: a typed {@link BackendStartException} says so (see {@link RedisClusterServers})</td></tr>
 * </table>
 *
 * <p>{@link #stop()} and {@link #start()} stop and start every node (same ports, node ids and slots;
 * no data, as persistence is off). {@link #failover(HostAndPort)} is the fault a cluster adds: a
 * manual {@code CLUSTER FAILOVER} that promotes a master's replica while clients keep running.
 */
public final class RedisClusterBackend extends ServerHandle {

    public static final ServerKind<RedisClusterBackend> KIND = ServerKind.of("redis-cluster", RedisClusterBackend.class,
            RedisClusterServers::docker, RedisClusterServers::embedded, RedisClusterServers::external);

    static {
        Backends.register(KIND);
    }

    /**
     * One line of {@code CLUSTER NODES}, as the node that printed it sees the cluster.
     *
     * @param slots the slot ranges a master serves, as printed: {@code 0-5460}, {@code 5461}
     */
    public record Node(String id, HostAndPort address, Set<String> flags, String masterId, List<String> slots) {

        /** Parses the whole reply of {@code CLUSTER NODES}. */
        public static List<Node> parse(String clusterNodes) {
            return clusterNodes.lines().filter(line -> !line.isBlank()).map(Node::parseLine).toList();
        }

        private static Node parseLine(String line) {
            String[] fields = line.trim().split(" ");
            String address = fields[1].split("[@,]")[0];
            int colon = address.lastIndexOf(':');
            // Fields 8 on are slot ranges; "[slot->-node]" entries are slots being migrated, not served.
            List<String> slots = Arrays.stream(fields).skip(8).filter(field -> !field.startsWith("[")).toList();
            return new Node(fields[0], new HostAndPort(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
                    Set.of(fields[2].split(",")), fields[3], slots);
        }

        public boolean master() {
            return flags.contains("master");
        }

        public boolean myself() {
            return flags.contains("myself");
        }

        /** Not in handshake, with an address, and not suspected of failing by the node that printed the line. */
        public boolean healthy() {
            return !flags.contains("handshake") && !flags.contains("noaddr") && !flags.contains("fail") && !flags.contains("fail?");
        }

        /** Whether this node serves {@code slot}. */
        public boolean serves(int slot) {
            return slots.stream().anyMatch(range -> {
                String[] ends = range.split("-");
                return Integer.parseInt(ends[0]) <= slot && slot <= Integer.parseInt(ends[ends.length - 1]);
            });
        }
    }

    private final List<HostAndPort> seeds;
    private final String version;

    RedisClusterBackend(BackendMode mode, List<HostAndPort> seeds, FaultControl control) {
        super(mode, control);
        this.seeds = List.copyOf(seeds);
        try (Jedis jedis = connect(seeds.get(0))) {
            this.version = RedisBackend.parseVersion(jedis.info("server"));
        }
    }

    @Override
    public String name() {
        return "redis-cluster";
    }

    @Override
    public String version() {
        return version;
    }

    /** The nodes this run was given or started, comma-separated. */
    @Override
    public String address() {
        return seeds.stream().map(HostAndPort::toString).collect(Collectors.joining(","));
    }

    /** Where a cluster client starts discovering the cluster: every node this run knows of. */
    public Set<HostAndPort> seeds() {
        return new LinkedHashSet<>(seeds);
    }

    /** One new connection to one node, with a 2 s timeout; the caller closes it. A key another node owns gets MOVED. */
    public Jedis connect(HostAndPort node) {
        return new Jedis(node, DefaultJedisClientConfig.builder().connectionTimeoutMillis(2_000).socketTimeoutMillis(2_000).build());
    }

    /**
     * A new cluster client with at most {@code maxConnectionsPerNode} connections to each node, whose
     * borrow, connect and read each wait at most {@code timeout}, and at most 5 attempts per command
     * (a MOVED, a reconnect) within {@code 5 × timeout}. The caller owns and closes it.
     */
    public JedisCluster newClient(int maxConnectionsPerNode, Duration timeout) {
        int millis = Math.toIntExact(timeout.toMillis());
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(maxConnectionsPerNode);
        pool.setMaxIdle(maxConnectionsPerNode);
        pool.setMaxWait(timeout);
        return new JedisCluster(seeds(), DefaultJedisClientConfig.builder().connectionTimeoutMillis(millis).socketTimeoutMillis(millis)
                .build(), 5, timeout.multipliedBy(5), pool);
    }

    /** The cluster as the first node that answers sees it. */
    public List<Node> nodes() {
        JedisException last = null;
        for (HostAndPort seed : seeds) {
            try (Jedis jedis = connect(seed)) {
                return Node.parse(jedis.clusterNodes());
            } catch (JedisException e) {
                last = e;
            }
        }
        throw new IllegalStateException("No node of the cluster answered: " + address(), last);
    }

    /** The master that serves {@code key}'s slot, as the first node that answers sees it now. */
    public HostAndPort masterOf(String key) {
        int slot = JedisClusterCRC16.getSlot(key);
        return nodes().stream().filter(node -> node.master() && node.serves(slot)).map(Node::address).findFirst()
                .orElseThrow(() -> new IllegalStateException("No master serves slot " + slot + " of " + address()));
    }

    /**
     * The masters that serve slots, by address. (Right after a failover a node may still list the old master as a
     * master until its gossip arrives, but no longer with any slot.)
     */
    public List<HostAndPort> masters() {
        return nodes().stream().filter(node -> node.master() && !node.slots().isEmpty()).map(Node::address).toList();
    }

    /**
     * Promotes a replica of {@code master} with a manual {@code CLUSTER FAILOVER}, as an operator does
     * before maintenance: the master stops accepting writes, the replica catches up with its
     * replication stream, wins the election and takes the slots; the old master becomes its replica
     * and answers {@code MOVED} for them. Returns once every node sees the new master serve the slots and the old
     * master counts itself its replica.
     *
     * @throws UnsupportedOperationException in external mode, where this run does not own the cluster
     */
    public HostAndPort failover(HostAndPort master) {
        if (mode() == BackendMode.EXTERNAL) {
            throw new UnsupportedOperationException("A failover of an external cluster is not this run's to make: use"
                    + " -Dlabs.backend=embedded for fault tests.");
        }
        List<Node> nodes = nodes();
        Node old = nodes.stream().filter(node -> node.master() && node.address().equals(master)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(master + " is not a master of the cluster: " + nodes));
        Node replica = nodes.stream().filter(node -> old.id().equals(node.masterId()) && node.healthy()).findFirst()
                .orElseThrow(() -> new IllegalStateException(master + " has no healthy replica: " + nodes));
        try (Jedis jedis = connect(replica.address())) {
            jedis.clusterFailover();
        }
        RedisClusterEmbedded.await("every node to see " + replica.address() + " take over from " + master, () -> seeds.stream()
                .allMatch(seed -> view(seed).stream().anyMatch(node -> node.id().equals(replica.id()) && node.master()
                        && node.slots().equals(old.slots())))
                && view(master).stream().anyMatch(node -> node.myself() && replica.id().equals(node.masterId())));
        return replica.address();
    }

    /**
     * {@code CLUSTER NODES} of {@code observer}. The old master's demotion reaches the other nodes only with its next
     * gossip (seconds), but a client needs no more than the new master's slots everywhere and the old master's own
     * answer {@code MOVED}: that is the switch {@link #failover} waits for.
     */
    private List<Node> view(HostAndPort observer) {
        try (Jedis jedis = connect(observer)) {
            return Node.parse(jedis.clusterNodes());
        }
    }
}
