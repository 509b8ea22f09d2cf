package dev.backendlabs.shared.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP proxy inside this JVM that sits in front of a real server and misbehaves on command, so that a lab can put a
 * network fault between its client and the server and watch what the client does. Clients connect to {@link #host()}:
 * {@link #port()} instead of the server; while no fault is set, the proxy is transparent.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start("redis", redis.host(), redis.port())) {
 *     Jedis jedis = new Jedis(proxy.host(), proxy.port());
 *     proxy.blackhole();   // the server stops answering: the client's next command times out
 *     proxy.resume();      // the network heals
 * }
 * }</pre>
 *
 * <p>The faults borrow the vocabulary of Toxiproxy (latency, bandwidth, timeout, reset_peer, a disabled proxy), and each
 * stands for a failure seen in production:
 * <ul>
 *   <li>{@link #latency}: a slow or distant network; every round trip pays it, which is what turns a chatty protocol slow.
 *   <li>{@link #bandwidth}: a thin or saturated link; large values take size / rate, small ones hardly notice.
 *   <li>{@link #blackhole()}: a partitioned server, or one frozen in a long GC pause. Connections still open, bytes vanish,
 *       nothing comes back and nothing is closed: the client learns of it only through its own timeouts, so this is the
 *       fault that hangs a client without them.
 *   <li>{@link #timeoutAfter}: a server or network that stalls in the middle of a response: the first bytes arrive, then
 *       nothing, so a client's read timeout must hold for a half-read reply as well.
 *   <li>{@link #reset()}: a crashed host or a killed process: open connections die at once with an RST ("Connection
 *       reset"), and so does every new one.
 *   <li>{@link #refuse()}: a service that is down on a host that is up: new connections are refused at once.
 * </ul>
 *
 * <p>Every fault can be switched at runtime, from any thread, while traffic flows, and applies to the connections already
 * open as well as to new ones; only {@code refuse} is about new connections alone. Latency, bandwidth and
 * {@code timeoutAfter} are set per {@link Direction} and add up; {@code blackhole} and {@code reset} apply to all
 * connections and the later call wins; {@link #resume()} clears everything. Bytes already in flight keep the delay they
 * were sent with, as on a real network.
 *
 * <p>Each connection runs on four virtual threads (a reader and a writer per direction); no thread ever spins. The bytes a
 * blackhole drops are gone: after {@code resume} such a connection carries a stream with a hole in it, which is why
 * clients discard a connection whose read timed out (Jedis marks it broken, HikariCP evicts it).
 */
public final class FaultProxy implements AutoCloseable {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    private final String name;
    private final InetSocketAddress upstream;
    private final Faults faults;
    private final Set<ProxiedConnection> connections = ConcurrentHashMap.newKeySet();
    private final LongAdder accepted = new LongAdder();
    private final ReentrantLock listenerLock = new ReentrantLock();
    private final int port;
    private ServerSocket listener;
    private Thread acceptor;
    private volatile boolean closed;

    private FaultProxy(String name, InetSocketAddress upstream, ServerSocket listener) {
        this.name = name;
        this.upstream = upstream;
        this.faults = new Faults(name.hashCode());
        this.listener = listener;
        this.port = listener.getLocalPort();
    }

    /**
     * Starts a transparent proxy to {@code upstreamHost:upstreamPort}, listening on a free loopback port.
     *
     * @param name names the proxy's threads and seeds its jitter, e.g. {@code redis}
     * @throws IllegalArgumentException if the name is blank, the port out of range or the host cannot be resolved
     */
    public static FaultProxy start(String name, String upstreamHost, int upstreamPort) {
        require(name != null && !name.isBlank(), "name must not be blank");
        require(upstreamHost != null && !upstreamHost.isBlank(), "upstream host must not be blank");
        require(upstreamPort >= 1 && upstreamPort <= 65_535, "upstream port must be in 1..65535, was " + upstreamPort);
        InetSocketAddress upstream = new InetSocketAddress(upstreamHost, upstreamPort);
        require(!upstream.isUnresolved(), "cannot resolve upstream host " + upstreamHost);
        ServerSocket listener = bind(name, 0);
        FaultProxy proxy = new FaultProxy(name, upstream, listener);
        proxy.acceptor = proxy.acceptFrom(listener);
        return proxy;
    }

    /** The address clients connect to instead of the server. */
    public String host() {
        return LOOPBACK.getHostAddress();
    }

    /** The port clients connect to; the same for the proxy's whole life, across {@link #refuse()} and {@link #resume()}. */
    public int port() {
        return port;
    }

    /**
     * Delays every chunk of bytes in {@code direction} by {@code latency} plus a uniform draw in [-jitter, +jitter] (from
     * a random sequence seeded by the proxy's name), without ever reordering bytes. A round trip pays the latency of both
     * directions. {@code Duration.ZERO} for both removes it.
     *
     * @throws IllegalArgumentException if an argument is null, the latency negative or the jitter outside [0, latency]
     */
    public void latency(Direction direction, Duration latency, Duration jitter) {
        requireDirection(direction);
        require(latency != null && !latency.isNegative(), "latency must be zero or positive, was " + latency);
        require(jitter != null && !jitter.isNegative() && jitter.compareTo(latency) <= 0,
                "jitter must be between zero and the latency " + latency + ", was " + jitter);
        requireOpen();
        faults.change(() -> faults.lane(direction).latency(latency, jitter));
    }

    /**
     * Limits {@code direction} to {@code bytesPerSecond}, shared by all connections like one link: each byte costs
     * 1/rate seconds of wire time, in slices of at most 100 ms, so a large value takes at least size / rate.
     *
     * @throws IllegalArgumentException if the direction is null or the rate not positive
     */
    public void bandwidth(Direction direction, long bytesPerSecond) {
        requireDirection(direction);
        require(bytesPerSecond > 0, "bandwidth must be positive (bytes per second), was " + bytesPerSecond);
        requireOpen();
        faults.change(() -> faults.lane(direction).bandwidth(bytesPerSecond));
    }

    /**
     * Forwards {@code bytes} more in {@code direction}, counted across all connections, then stops forwarding: the
     * connections stay open and hang. The bytes held back are kept in order and delivered after {@link #resume()}.
     *
     * @throws IllegalArgumentException if the direction is null or the count negative
     */
    public void timeoutAfter(Direction direction, long bytes) {
        requireDirection(direction);
        require(bytes >= 0, "bytes must be zero or positive, was " + bytes);
        requireOpen();
        faults.change(() -> faults.lane(direction).timeoutAfter(bytes));
    }

    /** Drops every byte, both ways, on open and new connections (which are still accepted), until {@link #resume()}. */
    public void blackhole() {
        requireOpen();
        faults.mode(Faults.Mode.BLACKHOLE);
    }

    /**
     * Closes every open connection with an RST, on both sides, and from now on accepts new connections only to reset
     * them at once, until {@link #resume()}.
     */
    public void reset() {
        requireOpen();
        faults.mode(Faults.Mode.RESET);
        connections.forEach(connection -> connection.close(true));
    }

    /**
     * Closes the listener: new connections are refused by the operating system (and one still waiting to be accepted is
     * reset). Open connections carry on as they are; call {@link #reset()} as well to end them. {@link #resume()} listens
     * again on the same port.
     */
    public void refuse() {
        listenerLock.lock();
        try {
            requireOpen();
            stopListening();
        } finally {
            listenerLock.unlock();
        }
    }

    /**
     * Clears every fault: a transparent proxy again, listening on the same port if it refused.
     *
     * @throws UncheckedIOException if another process took the port while the proxy refused; the faults are then kept
     */
    public void resume() {
        listenerLock.lock();
        try {
            requireOpen();
            if (listener == null) {
                listener = bind(name, port);
                acceptor = acceptFrom(listener);
            }
            faults.clear();
        } finally {
            listenerLock.unlock();
        }
    }

    /** Bytes forwarded in {@code direction} so far, over all connections; dropped and held bytes do not count. */
    public long bytes(Direction direction) {
        requireDirection(direction);
        return faults.lane(direction).bytes();
    }

    /** Connections accepted so far, including those reset at once. */
    public long connectionsAccepted() {
        return accepted.sum();
    }

    /** Connections open through the proxy now. */
    public int activeConnections() {
        return connections.size();
    }

    /** Stops listening (the port is free once this returns) and closes every connection. Closing twice is harmless. */
    @Override
    public void close() {
        listenerLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            stopListening();
        } finally {
            listenerLock.unlock();
        }
        connections.forEach(connection -> connection.close(false));
    }

    @Override
    public String toString() {
        return "FaultProxy[" + name + " " + host() + ":" + port + " -> " + upstream.getHostString() + ":" + upstream.getPort() + "]";
    }

    /** A listener on {@code localPort} of the loopback interface; 0 picks a free port. */
    private static ServerSocket bind(String name, int localPort) {
        try {
            ServerSocket socket = new ServerSocket();
            try {
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(LOOPBACK, localPort));
                return socket;
            } catch (IOException e) {
                socket.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("FaultProxy " + name + " cannot listen on " + LOOPBACK.getHostAddress() + ":" + localPort, e);
        }
    }

    /** Accepts on {@code socket} until it is closed by {@link #refuse()} or {@link #close()}. */
    private Thread acceptFrom(ServerSocket socket) {
        return Thread.ofVirtual().name(name + "-accept").start(() -> {
            while (true) {
                Socket client;
                try {
                    client = socket.accept();
                } catch (IOException e) {
                    return;
                }
                accepted.increment();
                if (faults.mode() == Faults.Mode.RESET) {
                    Sockets.close(client, true);
                } else {
                    connect(client);
                }
            }
        });
    }

    /**
     * Joins {@code client} to a new connection to the server, on the accept thread (as Toxiproxy does), so that once that
     * thread has left no connection is half set up. If the server cannot be reached, the client gets an RST: the nearest a
     * proxy that already accepted can come to the refusal it would have got from the server itself.
     */
    private void connect(Socket client) {
        Socket server = new Socket();
        try {
            server.connect(upstream, CONNECT_TIMEOUT_MS);
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
        } catch (IOException e) {
            Sockets.close(server, false);
            Sockets.close(client, true);
            return;
        }
        ProxiedConnection connection = new ProxiedConnection(name, client, server, faults, connections::remove);
        connections.add(connection);
        // Looked at after joining the set: a concurrent reset() either sees this connection or is seen here.
        if (faults.mode() == Faults.Mode.RESET) {
            connection.close(true);
        } else {
            connection.start();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private static void requireDirection(Direction direction) {
        require(direction != null, "direction must not be null");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * Closes the listener and waits for its accept thread to leave. A socket closed while a virtual thread is blocked on
     * it is released only when that thread leaves, and until then the kernel still completes connections to the port.
     */
    private void stopListening() {
        if (listener == null) {
            return;
        }
        try {
            listener.close();
            acceptor.join();
        } catch (IOException ignored) {
            // Closing a listener only fails if it is already closed.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        listener = null;
        acceptor = null;
    }
}
