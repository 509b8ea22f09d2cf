package dev.backendlabs.shared.backend;

/**
 * A started server's handle together with what stops it. Closing it stops the server; stopping
 * twice is harmless, so a server the caller closed early is simply skipped at the end of the run.
 */
public record RunningServer<B extends Backend>(B backend, AutoCloseable stopper) implements AutoCloseable {

    @Override
    public void close() {
        try {
            stopper.close();
        } catch (Exception e) {
            throw new IllegalStateException("Could not stop " + backend.name() + " at " + backend.address(), e);
        }
    }
}
