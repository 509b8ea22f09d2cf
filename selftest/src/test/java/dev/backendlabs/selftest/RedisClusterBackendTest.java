package dev.backendlabs.selftest;

import dev.backendlabs.shared.backend.BackendMode;
import dev.backendlabs.shared.backend.BackendSettings;
import dev.backendlabs.shared.backend.BackendStartException;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.RedisClusterBackend;
import dev.backendlabs.shared.backend.RedisClusterBackend.Node;
import dev.backendlabs.shared.backend.RunningServer;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Lab("selftest")
class RedisClusterBackendTest {

    static {
        Backends.register(RedisClusterBackend.KIND);
    }

    @Test
    void threeMastersServeEverySlotEachWithAReplicaAndKeysSpreadOverAllOfThem(RedisClusterBackend cluster) {
        List<Node> nodes = cluster.nodes();
        List<Node> masters = nodes.stream().filter(node -> node.master() && !node.slots().isEmpty()).toList();
        assertThat(masters).hasSize(3);
        assertThat(masters.stream().map(Node::address).toList()).containsExactlyInAnyOrderElementsOf(cluster.masters());
        assertThat(IntStream.range(0, 16_384).allMatch(slot -> masters.stream().filter(master -> master.serves(slot)).count() == 1))
                .as("every slot served by exactly one master").isTrue();
        assertThat(nodes).hasSize(6);
        for (HostAndPort master : cluster.masters()) {
            try (Jedis jedis = cluster.connect(master)) {
                assertThat(jedis.info("replication")).as("replication of %s", master).contains("connected_slaves:1");
            }
        }
        assertThat(cluster.version()).matches("\\d+\\.\\d+\\.\\d+");

        Set<HostAndPort> owners = new HashSet<>();
        try (JedisCluster client = cluster.newClient(4, Duration.ofSeconds(2))) {
            for (int i = 0; i < 30; i++) {
                String key = "selftest:cluster:" + i;
                client.set(key, "v" + i);
                assertThat(client.get(key)).isEqualTo("v" + i);
                owners.add(cluster.masterOf(key));
                client.del(key);
            }
        }
        assertThat(owners).as("masters that own the 30 keys").containsExactlyInAnyOrderElementsOf(cluster.masters());
    }

    @Test
    void aManualFailoverPromotesTheReplicaWithTheDataAndTheClientFollows(RedisClusterBackend cluster) {
        String key = "selftest:cluster:failover";
        try (JedisCluster client = cluster.newClient(4, Duration.ofSeconds(2))) {
            client.set(key, "before");
            HostAndPort master = cluster.masterOf(key);

            HostAndPort promoted = cluster.failover(master);

            assertThat(promoted).isNotEqualTo(master);
            assertThat(cluster.masterOf(key)).isEqualTo(promoted);
            assertThat(client.get(key)).as("read through the client, which follows MOVED").isEqualTo("before");
            client.set(key, "after");
            try (Jedis demoted = cluster.connect(master)) {
                assertThat(demoted.info("replication")).contains("role:slave");
            }
            client.del(key);
        }
    }

    @Test
    void aClusterRestartsOnItsPortsAndShutsDownWithoutOrphansOrFiles() throws Exception {
        RunningServer<RedisClusterBackend> running = RedisClusterBackend.KIND.start(BackendMode.EMBEDDED, BackendSettings.of(Map.of()));
        List<Long> pids;
        Path directory;
        try {
            RedisClusterBackend cluster = running.backend();
            Set<HostAndPort> nodes = cluster.seeds();
            cluster.stop();
            assertThat(cluster.running()).isFalse();
            cluster.start();
            assertThat(cluster.seeds()).isEqualTo(nodes);
            try (JedisCluster client = cluster.newClient(2, Duration.ofSeconds(2))) {
                client.set("selftest:cluster:restart", "up");
                assertThat(client.get("selftest:cluster:restart")).isEqualTo("up");
            }
            pids = nodes.stream().map(node -> {
                try (Jedis jedis = cluster.connect(node)) {
                    return Long.parseLong(jedis.info("server").lines().filter(line -> line.startsWith("process_id:"))
                            .findFirst().orElseThrow().substring("process_id:".length()).trim());
                }
            }).toList();
            try (Jedis jedis = cluster.connect(nodes.iterator().next())) {
                directory = Path.of(jedis.configGet("dir").get("dir"));
            }
            try (var files = Files.list(directory)) {
                assertThat(files.map(path -> path.getFileName().toString())).as("the binary, configurations and nodes files")
                        .anyMatch(name -> name.startsWith("redis-server")).anyMatch(name -> name.startsWith("nodes-"));
            }
        } finally {
            running.close();
        }

        assertThat(pids).hasSize(6).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty());
        assertThat(directory).doesNotExist();
    }

    @Test
    void dockerModeRunsTheEmbeddedClusterAndExternalModeNeedsItsNodes() {
        try (RunningServer<RedisClusterBackend> docker = RedisClusterBackend.KIND.start(BackendMode.DOCKER, BackendSettings.of(Map.of()))) {
            assertThat(docker.backend().mode()).as("docker mode runs the six embedded processes").isEqualTo(BackendMode.EMBEDDED);
            assertThat(docker.backend().masters()).hasSize(3);
        }
        assertThatThrownBy(() -> RedisClusterBackend.KIND.start(BackendMode.EXTERNAL, BackendSettings.of(Map.of())))
                .isInstanceOf(BackendStartException.class).hasMessageContaining("LABS_REDIS_CLUSTER_NODES is not set");
    }
}
