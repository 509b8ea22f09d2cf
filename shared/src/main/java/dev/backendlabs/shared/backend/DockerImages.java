package dev.backendlabs.shared.backend;

/** The pinned images of the {@code docker} mode; {@code docker-compose.yml} uses the same majors. */
public final class DockerImages {

    public static final String POSTGRES = "postgres:17.6";
    public static final String REDIS = "redis:7.4.5";
    public static final String KAFKA = "apache/kafka:4.3.1";

    private DockerImages() {
    }
}
