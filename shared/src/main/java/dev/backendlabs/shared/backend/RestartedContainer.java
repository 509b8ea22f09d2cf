package dev.backendlabs.shared.backend;

import io.github.resilience4j.core.functions.CheckedSupplier;
import org.testcontainers.containers.GenericContainer;

import java.time.Duration;

/**
 * An outage in docker mode: {@code docker stop} (SIGTERM, then SIGKILL after 10 s) and
 * {@code docker start} of the same container, which keeps its fixed host port and its data.
 * {@link #start()} returns once the server answers a real request again: a container that runs is
 * not yet a server that answers.
 */
final class RestartedContainer implements FaultControl {

    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(60);

    private final GenericContainer<?> container;
    private final String name;
    private final CheckedSupplier<?> ready;
    private boolean stopped;

    RestartedContainer(GenericContainer<?> container, String name, CheckedSupplier<?> ready) {
        this.container = container;
        this.name = name;
        this.ready = ready;
    }

    @Override
    public synchronized void stop() {
        if (!stopped) {
            container.getDockerClient().stopContainerCmd(container.getContainerId()).withTimeout(10).exec();
            stopped = true;
        }
    }

    @Override
    public synchronized void start() {
        if (stopped) {
            container.getDockerClient().startContainerCmd(container.getContainerId()).exec();
            Restarts.retry(name + " container " + container.getContainerId(), RESTART_TIMEOUT, ready);
            stopped = false;
        }
    }

    @Override
    public synchronized boolean running() {
        return !stopped;
    }
}
