package dev.backendlabs.shared.net;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static dev.backendlabs.shared.net.Direction.DOWNSTREAM;
import static dev.backendlabs.shared.net.Direction.UPSTREAM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The proxy's byte-level behaviour, in front of an echo server: whatever reaches the server comes straight back. */
class FaultProxyTest {

    /** How long a read waits before the test calls the connection hung. */
    private static final int HANG_MS = 300;

    private EchoServer echo;
    private FaultProxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        proxy = FaultProxy.start("echo", "127.0.0.1", echo.port());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        echo.close();
    }

    @Test
    void forwardsBytesUnchangedBothWaysAndCountsThem() throws Exception {
        byte[] data = randomBytes(200_000);
        try (Socket client = connect()) {
            assertThat(exchange(client, data)).isEqualTo(data);

            assertThat(proxy.bytes(UPSTREAM)).isEqualTo(data.length);
            assertThat(proxy.bytes(DOWNSTREAM)).isEqualTo(data.length);
            assertThat(proxy.connectionsAccepted()).isEqualTo(1);
            assertThat(proxy.activeConnections()).isEqualTo(1);
        }
    }

    @Test
    void latencyDelaysEachDirectionAndARoundTripPaysBoth() throws Exception {
        try (Socket client = connect()) {
            proxy.latency(UPSTREAM, Duration.ofMillis(100), Duration.ofMillis(20));
            proxy.latency(DOWNSTREAM, Duration.ofMillis(50), Duration.ZERO);

            long start = System.nanoTime();
            exchange(client, new byte[] {42});
            long roundTripMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            // 132-146 ms measured on 2 cores at load 10-14.
            assertThat(roundTripMs).as("at least (100 - 20) ms up plus 50 ms down").isGreaterThanOrEqualTo(130);
        }
    }

    @Test
    void latencyDelaysBytesWithoutThrottlingThem() throws Exception {
        byte[] data = randomBytes(4 * 1024 * 1024);
        try (Socket client = connect()) {
            proxy.latency(UPSTREAM, Duration.ofMillis(100), Duration.ZERO);

            long start = System.nanoTime();
            byte[] echoed = exchange(client, data);
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(echoed).isEqualTo(data);
            // A delay line carries 1 MiB per 100 ms here: 0.51-0.60 s measured on 2 cores at load 10-14. A proxy that delayed
            // each 64 KiB read in turn would need at least 64 x 100 ms = 6.4 s.
            assertThat(elapsedMs).isBetween(100L, 3_000L);
        }
    }

    @Test
    void jitterNeverReordersBytes() throws Exception {
        proxy.latency(UPSTREAM, Duration.ofMillis(30), Duration.ofMillis(30));
        byte[] data = randomBytes(20 * 500);
        try (Socket client = connect()) {
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = client.getOutputStream();
                    for (int offset = 0; offset < data.length; offset += 500) {
                        out.write(data, offset, 500);
                        Thread.sleep(5);
                    }
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] echoed = client.getInputStream().readNBytes(data.length);
            writer.join();

            assertThat(echoed).as("20 writes 5 ms apart, each drawing a delay in 0..60 ms").isEqualTo(data);
        }
    }

    @Test
    void bandwidthStretchesATransferToAtLeastSizeOverRate() throws Exception {
        byte[] data = randomBytes(50_000);
        try (Socket client = connect()) {
            proxy.bandwidth(DOWNSTREAM, 100_000);

            long start = System.nanoTime();
            byte[] echoed = exchange(client, data);
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(echoed).isEqualTo(data);
            // 50 000 B at 100 000 B/s is 500 ms of wire time; 504-512 ms measured on 2 cores at load 10-14.
            assertThat(elapsedMs).isBetween(500L, 2_000L);
        }
    }

    @Test
    void blackholeDropsBytesOnOpenAndNewConnectionsUntilResume() throws Exception {
        try (Socket open = connect()) {
            exchange(open, new byte[] {1});

            proxy.blackhole();
            try (Socket fresh = connect()) {
                open.getOutputStream().write(2);
                fresh.getOutputStream().write(3);
                assertHangs(open);
                assertHangs(fresh);
                assertThat(proxy.bytes(UPSTREAM)).as("only the byte before the blackhole").isEqualTo(1);
                assertThat(proxy.connectionsAccepted()).as("the new connection was accepted").isEqualTo(2);

                proxy.resume();

                assertThat(exchange(open, new byte[] {4})).as("the dropped byte 2 is gone").containsExactly(4);
                assertThat(exchange(fresh, new byte[] {5})).containsExactly(5);
            }
        }
    }

    @Test
    void aCloseDuringABlackholeReachesTheServerOnlyAfterResume() throws Exception {
        Socket client = connect();
        exchange(client, new byte[] {1});
        proxy.blackhole();

        client.close();

        assertThat(echo.ended.tryAcquire(HANG_MS, TimeUnit.MILLISECONDS)).as("the server's session outlives the client").isFalse();
        proxy.resume();
        assertThat(echo.ended.tryAcquire(5, TimeUnit.SECONDS)).as("the close arrives once the partition heals").isTrue();
    }

    @Test
    void resetEndsOpenConnectionsAndEveryNewOneWithAnRst() throws Exception {
        try (Socket open = connect()) {
            exchange(open, new byte[] {1});

            proxy.reset();

            assertThat(proxy.activeConnections()).isZero();
            assertThatThrownBy(() -> open.getInputStream().read()).isInstanceOf(SocketException.class)
                    .hasMessageContaining("Connection reset");
            try (Socket fresh = connect()) {
                assertThatThrownBy(() -> fresh.getInputStream().read()).isInstanceOf(SocketException.class)
                        .hasMessageContaining("Connection reset");
            }
            assertThat(proxy.connectionsAccepted()).as("the new connection was accepted, then reset").isEqualTo(2);
        }
        proxy.resume();
        try (Socket recovered = connect()) {
            assertThat(exchange(recovered, new byte[] {2})).containsExactly(2);
        }
    }

    @Test
    void refuseRefusesNewConnectionsKeepsOpenOnesAndResumeListensOnTheSamePort() throws Exception {
        try (Socket open = connect()) {
            exchange(open, new byte[] {0});
            int port = proxy.port();

            proxy.refuse();

            assertThatThrownBy(this::connect).isInstanceOf(ConnectException.class).hasMessageContaining("Connection refused");
            assertThat(exchange(open, new byte[] {1})).as("the open connection carries on").containsExactly(1);

            proxy.resume();

            assertThat(proxy.port()).isEqualTo(port);
            try (Socket fresh = connect()) {
                assertThat(exchange(fresh, new byte[] {2})).containsExactly(2);
            }
            assertThat(proxy.connectionsAccepted()).isEqualTo(2);
        }
    }

    @Test
    void resumeFailsLoudlyWhenAnotherProcessTookThePortAndKeepsTheFaults() throws Exception {
        try (Socket open = connect()) {
            exchange(open, new byte[] {0});
            proxy.blackhole();
            proxy.refuse();

            try (ServerSocket squatter = new ServerSocket(proxy.port(), 1, InetAddress.getLoopbackAddress())) {
                assertThatThrownBy(proxy::resume).isInstanceOf(UncheckedIOException.class).hasMessageContaining(":" + proxy.port());
                open.getOutputStream().write(1);
                assertHangs(open);
            }
            proxy.resume();

            assertThat(exchange(open, new byte[] {2})).containsExactly(2);
            try (Socket fresh = connect()) {
                assertThat(exchange(fresh, new byte[] {3})).containsExactly(3);
            }
        }
    }

    @Test
    void timeoutAfterForwardsExactlyTheBudgetThenHoldsTheRestInOrderUntilResume() throws Exception {
        byte[] data = randomBytes(5_000);
        try (Socket client = connect()) {
            exchange(client, new byte[] {1});

            proxy.timeoutAfter(DOWNSTREAM, 1_000);
            client.getOutputStream().write(data);

            assertThat(client.getInputStream().readNBytes(1_000)).isEqualTo(slice(data, 0, 1_000));
            assertHangs(client);
            assertThat(proxy.bytes(DOWNSTREAM)).isEqualTo(1 + 1_000);
            assertThat(proxy.bytes(UPSTREAM)).as("the other direction still flows").isEqualTo(1 + 5_000);

            proxy.resume();

            assertThat(client.getInputStream().readNBytes(4_000)).isEqualTo(slice(data, 1_000, 5_000));
        }
    }

    @Test
    void faultsSwitchedWhileTrafficFlowsNeverCorruptOrReorderTheStream() throws Exception {
        byte[] data = randomBytes(2 * 1024 * 1024);
        try (Socket client = connect()) {
            Thread writer = Thread.ofVirtual().start(() -> write(client, data));
            Thread switcher = Thread.ofVirtual().start(() -> {
                try {
                    for (int round = 0; round < 20; round++) {
                        proxy.latency(UPSTREAM, Duration.ofMillis(5), Duration.ofMillis(5));
                        proxy.bandwidth(DOWNSTREAM, 20_000_000);
                        proxy.timeoutAfter(UPSTREAM, 100_000);
                        Thread.sleep(10);
                        proxy.latency(DOWNSTREAM, Duration.ofMillis(2), Duration.ofMillis(1));
                        proxy.timeoutAfter(DOWNSTREAM, 0);
                        Thread.sleep(10);
                        proxy.resume();
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] echoed = client.getInputStream().readNBytes(data.length);
            writer.join();
            switcher.join();

            assertThat(echoed).isEqualTo(data);
            assertThat(proxy.bytes(UPSTREAM)).isEqualTo(data.length);
            assertThat(proxy.bytes(DOWNSTREAM)).isEqualTo(data.length);
        }
    }

    @Test
    void closeFreesThePortAndEndsOpenConnections() throws Exception {
        try (Socket open = connect()) {
            exchange(open, new byte[] {0});
            int port = proxy.port();

            proxy.close();

            assertThat(open.getInputStream().read()).as("end of stream").isEqualTo(-1);
            assertThat(proxy.activeConnections()).isZero();
            try (ServerSocket rebound = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertThat(rebound.getLocalPort()).isEqualTo(port);
            }
            assertThatThrownBy(proxy::blackhole).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            assertThatCode(proxy::close).as("closing twice").doesNotThrowAnyException();
        }
    }

    @Test
    void aServerThatCannotBeReachedResetsTheClient() throws Exception {
        int nobody;
        try (ServerSocket vacated = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nobody = vacated.getLocalPort();
        }
        try (FaultProxy toNobody = FaultProxy.start("nobody", "127.0.0.1", nobody);
             Socket client = new Socket(toNobody.host(), toNobody.port())) {
            client.setSoTimeout(5_000);
            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketException.class)
                    .hasMessageContaining("Connection reset");
            assertThat(toNobody.activeConnections()).isZero();
        }
    }

    @Test
    void rejectsBadArgumentsAndChangesNothing() throws Exception {
        try (Socket client = connect()) {
            proxy.latency(UPSTREAM, Duration.ofMillis(100), Duration.ZERO);
            proxy.timeoutAfter(DOWNSTREAM, 3);

            assertThatThrownBy(() -> proxy.latency(null, Duration.ZERO, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> proxy.latency(UPSTREAM, Duration.ofMillis(-1), Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> proxy.latency(UPSTREAM, Duration.ofMillis(10), Duration.ofMillis(20)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jitter");
            assertThatThrownBy(() -> proxy.latency(UPSTREAM, Duration.ZERO, Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> proxy.latency(UPSTREAM, null, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> proxy.bandwidth(null, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> proxy.bandwidth(DOWNSTREAM, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> proxy.bandwidth(DOWNSTREAM, -1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> proxy.timeoutAfter(null, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> proxy.timeoutAfter(DOWNSTREAM, -1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> proxy.bytes(null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> FaultProxy.start(" ", "127.0.0.1", 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> FaultProxy.start("x", null, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> FaultProxy.start("x", "127.0.0.1", 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> FaultProxy.start("x", "127.0.0.1", 65_536)).isInstanceOf(IllegalArgumentException.class);

            long start = System.nanoTime();
            client.getOutputStream().write(new byte[10]);
            assertThat(client.getInputStream().readNBytes(3)).hasSize(3);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("the 100 ms latency stayed")
                    .isGreaterThanOrEqualTo(100);
            assertHangs(client);
            assertThat(proxy.bytes(DOWNSTREAM)).as("the 3-byte budget stayed").isEqualTo(3);
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(proxy.host(), proxy.port());
        socket.setSoTimeout(5_000);
        return socket;
    }

    /** Sends {@code data} from another thread while reading the echo here, so that neither side waits for the other. */
    private static byte[] exchange(Socket client, byte[] data) throws Exception {
        Thread writer = Thread.ofVirtual().start(() -> write(client, data));
        byte[] echoed = client.getInputStream().readNBytes(data.length);
        writer.join();
        return echoed;
    }

    private static void write(Socket client, byte[] data) {
        try {
            client.getOutputStream().write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertHangs(Socket client) throws IOException {
        int timeout = client.getSoTimeout();
        client.setSoTimeout(HANG_MS);
        assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        client.setSoTimeout(timeout);
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    private static byte[] slice(byte[] bytes, int from, int to) {
        return Arrays.copyOfRange(bytes, from, to);
    }

    /** Sends back whatever it reads, on each connection, until the client ends it; counts the connections that ended. */
    private static final class EchoServer implements AutoCloseable {

        final Semaphore ended = new Semaphore(0);
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

        EchoServer() throws IOException {
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Socket socket = listener.accept();
                        sockets.add(socket);
                        Thread.ofVirtual().start(() -> echo(socket));
                    }
                } catch (IOException closed) {
                    // close() ends the accept loop.
                }
            });
        }

        int port() {
            return listener.getLocalPort();
        }

        private void echo(Socket socket) {
            try (socket) {
                socket.getInputStream().transferTo(socket.getOutputStream());
            } catch (IOException ignored) {
                // The client reset the connection: it ended all the same.
            }
            sockets.remove(socket);
            ended.release();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }
}
