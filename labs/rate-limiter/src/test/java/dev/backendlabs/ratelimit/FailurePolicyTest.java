package dev.backendlabs.ratelimit;

import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When Redis cannot answer, the limiter's failure policy answers within its timeout, and the
 * fallback is counted. The timeout is 50 ms; a stopped Redis fails at once and a hung one after
 * one timeout (plus, at most, half a timeout for the fast retry), and the assertions allow 100 ms
 * more for scheduling on a busy two-core machine: 175 ms, far below the 2 s that Jedis' default
 * socket timeout would wait.
 */
@Lab
class FailurePolicyTest {

    private static final Duration BUDGET = Duration.ofMillis(50);
    private static final long MAX_MILLIS = BUDGET.toMillis() * 3 / 2 + 100;

    @Test
    void failOpenAdmitsAndFailClosedDeniesWhileRedisIsStopped(RedisBackend redis, LabNamespace namespace) {
        String key = namespace.redisKey("failure", "stopped");
        try (TokenBucketRateLimiter open = limiter(redis.host(), redis.port(), FailurePolicy.FAIL_OPEN);
             TokenBucketRateLimiter closed = limiter(redis.host(), redis.port(), FailurePolicy.FAIL_CLOSED)) {
            assertThat(open.tryAcquire(key).source()).isEqualTo(Decision.Source.REDIS);
            assertThat(closed.tryAcquire(key).source()).isEqualTo(Decision.Source.REDIS);

            redis.stop();
            try {
                assertFallback(open, key, true, Decision.Source.FAIL_OPEN);
                assertFallback(closed, key, false, Decision.Source.FAIL_CLOSED);
            } finally {
                redis.start();
            }

            assertThat(open.metrics().failOpenAdmits()).isEqualTo(1);
            assertThat(open.metrics().redisFailures()).isEqualTo(1);
            assertThat(closed.metrics().failClosedDenials()).isEqualTo(1);
            assertThat(closed.metrics().redisFailures()).isEqualTo(1);
            assertThat(open.tryAcquire(key).source()).as("back to Redis after the restart").isEqualTo(Decision.Source.REDIS);
        }
    }

    @Test
    void decisionStaysWithinItsBudgetWhenRedisHangs(LabNamespace namespace) throws IOException {
        try (BlackHole hole = new BlackHole();
             TokenBucketRateLimiter open = limiter("127.0.0.1", hole.port(), FailurePolicy.FAIL_OPEN);
             TokenBucketRateLimiter closed = limiter("127.0.0.1", hole.port(), FailurePolicy.FAIL_CLOSED)) {
            String key = namespace.redisKey("failure", "hang");
            // One unmeasured fallback each first: the measured one must not pay for class loading.
            open.tryAcquire(key);
            closed.tryAcquire(key);
            assertFallback(open, key, true, Decision.Source.FAIL_OPEN);
            assertFallback(closed, key, false, Decision.Source.FAIL_CLOSED);
            assertThat(open.metrics().failOpenAdmits()).isEqualTo(2);
            assertThat(closed.metrics().failClosedDenials()).isEqualTo(2);
        }
    }

    private static void assertFallback(TokenBucketRateLimiter limiter, String key, boolean allowed, Decision.Source source) {
        long start = System.nanoTime();
        Decision decision = limiter.tryAcquire(key);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(decision.allowed()).isEqualTo(allowed);
        assertThat(decision.source()).isEqualTo(source);
        assertThat(millis).as("decision time (ms)").isLessThanOrEqualTo(MAX_MILLIS);
    }

    private static TokenBucketRateLimiter limiter(String host, int port, FailurePolicy policy) {
        return TokenBucketRateLimiter.builder(BucketPolicy.perSecond(10, 1))
                .redis(new HostAndPort(host, port))
                .failurePolicy(policy)
                .timeout(BUDGET)
                .maxConnections(2)
                .build();
    }

    /** A server that accepts connections and never answers: the slow dependency we control. */
    private static final class BlackHole implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> held = new ArrayList<>();
        private final Thread acceptor = Thread.ofVirtual().start(this::accept);

        BlackHole() throws IOException {
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            try {
                while (!server.isClosed()) {
                    Socket socket = server.accept();
                    synchronized (held) {
                        held.add(socket);
                    }
                }
            } catch (IOException closed) {
                // close() ends the loop
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (held) {
                for (Socket socket : held) {
                    socket.close();
                }
            }
            acceptor.interrupt();
        }
    }
}
