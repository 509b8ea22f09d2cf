package dev.backendlabs.ratelimit;

import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.exceptions.JedisException;

import java.util.List;

/**
 * Scripts on a Redis Cluster, through a {@link JedisCluster}: each {@code EVALSHA} goes to the
 * master that owns the slot of its one key.
 *
 * <p>The cluster client handles what a pool cannot: after a failover the old master answers
 * {@code MOVED}, and the client refreshes its slot map and retries on the new master; a node that
 * stopped answering makes it refresh the map and reconnect. So {@link #recover()} has nothing to
 * add. The new master may not know the script (the script cache is not part of the data): its
 * first {@code EVALSHA} answers NOSCRIPT and the script is loaded there, on the key's node.
 */
final class ClusterScriptTarget implements ScriptTarget {

    private final JedisCluster cluster;
    private final boolean ownsCluster;

    ClusterScriptTarget(JedisCluster cluster, boolean ownsCluster) {
        this.cluster = cluster;
        this.ownsCluster = ownsCluster;
    }

    /** On every node the client knows, replicas included: a replica promoted by a failover then already has it. */
    @Override
    public void load(LuaScript script) {
        for (ConnectionPool node : cluster.getClusterNodes().values()) {
            try (Jedis jedis = new Jedis(node.getResource())) {
                script.load(jedis);
            } catch (JedisException e) {
                // Not fatal: a node that is away loads it on its first NOSCRIPT.
            }
        }
    }

    @Override
    public Object run(LuaScript script, String key, List<String> args, Runnable onReload) {
        return script.run(cluster, List.of(key), args, onReload);
    }

    @Override
    public boolean recover() {
        return false;
    }

    @Override
    public void close() {
        if (ownsCluster) {
            cluster.close();
        }
    }
}
