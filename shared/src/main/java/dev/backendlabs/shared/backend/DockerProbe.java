package dev.backendlabs.shared.backend;

import org.testcontainers.DockerClientFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Whether a Docker engine answers, asked once per JVM.
 *
 * <p>Testcontainers' own probe logs an error with a stack trace for every strategy it tries
 * when no engine exists, which would greet every {@code auto} run on a Docker-less machine. So
 * it is asked only when there is a sign of Docker: {@code DOCKER_HOST}, a Testcontainers
 * configuration file, or one of the usual sockets (Linux, rootless, Docker Desktop, Colima).
 */
final class DockerProbe {

    private static volatile Boolean available;

    private DockerProbe() {
    }

    static boolean available() {
        Boolean answer = available;
        if (answer == null) {
            answer = hasSignOfDocker() && DockerClientFactory.instance().isDockerAvailable();
            available = answer;
        }
        return answer;
    }

    private static boolean hasSignOfDocker() {
        if (System.getenv("DOCKER_HOST") != null) {
            return true;
        }
        String home = System.getProperty("user.home");
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        List<Path> candidates = new java.util.ArrayList<>(List.of(
                Path.of("/var/run/docker.sock"),
                Path.of(home, ".testcontainers.properties"),
                Path.of(home, ".docker", "run", "docker.sock"),
                Path.of(home, ".docker", "desktop", "docker.sock"),
                Path.of(home, ".colima", "default", "docker.sock"),
                Path.of(home, ".rd", "docker.sock")));
        if (runtime != null) {
            candidates.add(Path.of(runtime, "docker.sock"));
        }
        return candidates.stream().anyMatch(Files::exists);
    }
}
