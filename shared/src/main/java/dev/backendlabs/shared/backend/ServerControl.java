package dev.backendlabs.shared.backend;

/**
 * Fault control of a running server: labs stop a server mid-test so that clients see a real
 * outage, then start it again on the same address so that the same clients can recover.
 */
interface ServerControl {

    void stop();

    void start();

    boolean running();

    /** The control of a server this run does not own (external mode). */
    static ServerControl unsupported(String server, BackendMode mode) {
        return new ServerControl() {
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
                return new UnsupportedOperationException("Cannot stop or start " + server + " in backend mode '"
                        + mode.label() + "': this run does not own the server. Use -Dlabs.backend=embedded for fault tests.");
            }
        };
    }
}
