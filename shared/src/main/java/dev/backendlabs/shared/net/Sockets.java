package dev.backendlabs.shared.net;

import java.io.IOException;
import java.net.Socket;

/** Closing sockets the two ways a peer can tell apart. */
final class Sockets {

    private Sockets() {
    }

    /**
     * Closes {@code socket}: with a FIN, or with {@code reset} an RST (SO_LINGER 0), which the peer's next read or write
     * reports as "Connection reset", as when the host on the other side crashed. A socket already closed is left alone.
     */
    static void close(Socket socket, boolean reset) {
        try {
            if (reset && !socket.isClosed()) {
                socket.setSoLinger(true, 0);
            }
            socket.close();
        } catch (IOException ignored) {
            // Already broken: nothing left to close.
        }
    }
}
