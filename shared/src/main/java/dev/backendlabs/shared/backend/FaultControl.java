package dev.backendlabs.shared.backend;

/**
 * Fault control of a running server: a lab stops a server mid-test so that its clients see a real
 * outage (refused or dropped connections), then starts it again on the same address so that the
 * same clients can recover without being told anything.
 *
 * <p>Every server handle implements it. In {@code embedded} mode the process (or in-JVM broker)
 * really stops and restarts on the same port with the same data; in {@code docker} mode the
 * container is stopped and started on its fixed host port; in {@code external} mode this run does
 * not own the server and both calls fail with a message that says so.
 */
public interface FaultControl {

    /** Stops the server; returns once clients can no longer reach it. A no-op if already stopped. */
    void stop();

    /** Starts the server again on the same address; returns once it answers. A no-op if running. */
    void start();

    /** Whether the server is up, as far as this run's fault control knows. */
    boolean running();

    /** The control of a server this run does not own. */
    static FaultControl unsupported(String server, BackendMode mode) {
        return new FaultControl() {
            @Override
            public void stop() {
                throw refusal();
            }

            @Override
            public void start() {
                throw refusal();
            }

            @Override
            public boolean running() {
                return true;
            }

            private UnsupportedOperationException refusal() {
                return new UnsupportedOperationException("Cannot stop or start " + server + " in backend mode '" + mode.label()
                        + "': this run does not own the server. Use -Dlabs.backend=embedded for fault tests.");
            }
        };
    }
}
