package dev.backendlabs.shared.net;

import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A client's connection to the proxy joined to the proxy's own connection to the server, by a {@link Pipe} each way. It
 * ends when both directions have ended cleanly, when either side breaks, or when the proxy closes or resets it.
 */
final class ProxiedConnection {

    private final Socket client;
    private final Socket server;
    private final Pipe upstream;
    private final Pipe downstream;
    private final Consumer<ProxiedConnection> onClose;
    private final AtomicInteger directionsEnded = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    ProxiedConnection(String name, Socket client, Socket server, Faults faults, Consumer<ProxiedConnection> onClose) {
        this.client = client;
        this.server = server;
        this.onClose = onClose;
        this.upstream = new Pipe(name, client, server, faults, Direction.UPSTREAM, this::directionEnded);
        this.downstream = new Pipe(name, server, client, faults, Direction.DOWNSTREAM, this::directionEnded);
    }

    void start() {
        upstream.start();
        downstream.start();
    }

    /**
     * Closes both sides, with an RST if {@code reset}. The sockets close before the pipes stop: interrupting a thread
     * blocked on a socket closes that socket too, and it must not get there first with a FIN.
     */
    void close(boolean reset) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Sockets.close(client, reset);
        Sockets.close(server, reset);
        upstream.stop();
        downstream.stop();
        onClose.accept(this);
    }

    private void directionEnded(boolean broken) {
        if (broken || directionsEnded.incrementAndGet() == 2) {
            close(false);
        }
    }
}
