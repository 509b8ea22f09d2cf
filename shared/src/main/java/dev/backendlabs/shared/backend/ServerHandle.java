package dev.backendlabs.shared.backend;

/**
 * What every server handle has: the mode it runs in and its {@link FaultControl}, to which
 * {@link #stop()}, {@link #start()} and {@link #running()} delegate. A handle of a new server kind
 * extends it too.
 */
public abstract class ServerHandle implements Backend, FaultControl {

    private final BackendMode mode;
    private final FaultControl control;

    protected ServerHandle(BackendMode mode, FaultControl control) {
        this.mode = mode;
        this.control = control;
    }

    @Override
    public final BackendMode mode() {
        return mode;
    }

    /**
     * Stops the server: open connections fail, new ones are refused, until {@link #start()}.
     *
     * @throws UnsupportedOperationException in external mode, where this run does not own the server
     */
    @Override
    public final void stop() {
        control.stop();
    }

    /** Starts the server again on the same address, with its data. */
    @Override
    public final void start() {
        control.start();
    }

    @Override
    public final boolean running() {
        return control.running();
    }
}
