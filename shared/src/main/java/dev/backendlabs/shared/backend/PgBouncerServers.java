package dev.backendlabs.shared.backend;

import org.postgresql.Driver;
import org.testcontainers.Testcontainers;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * Starts PgBouncer in each mode, in front of the run's PostgreSQL ({@link Backends#postgres()},
 * asked inside the start). A handle that cannot be built stops its server before the error
 * propagates, as for the other kinds.
 */
final class PgBouncerServers {

    /** The image of the docker mode: PgBouncer 1.25, with {@code max_prepared_statements}. */
    static final String IMAGE = "edoburu/pgbouncer:v1.25.1-p0";
    /** The environment variable of the external mode, e.g. {@code jdbc:postgresql://127.0.0.1:6432/labs}. */
    static final String URL = "LABS_PGBOUNCER_URL";

    private static final String CONTAINER_CONFIG = "/etc/pgbouncer/pgbouncer.ini";
    private static final String CONTAINER_AUTH_FILE = "/etc/pgbouncer/userlist.txt";

    private PgBouncerServers() {
    }

    static RunningServer<PgBouncerBackend> embedded() {
        Path binary = PgBouncerBinary.find().orElseThrow(() -> new IllegalStateException(PgBouncerBinary.missingReason()));
        PostgresBackend postgres = Backends.postgres();
        boolean preparedStatements = PgBouncerBinary.atLeast(PgBouncerBinary.version(binary), 1, 21);
        PgBouncerProcess process = PgBouncerProcess.launch(binary, (port, authFile) -> new PgBouncerConfig("127.0.0.1", port,
                postgres.host(), postgres.port(), postgres.user(), postgres.password(), preparedStatements, authFile.toString()));
        return owned(process::destroy, () -> new PgBouncerBackend(BackendMode.EMBEDDED, "127.0.0.1", process.port(), postgres.user(),
                postgres.password(), PgBouncerConfig.POOL_SIZE, "postgres", process));
    }

    /**
     * The same configuration as the embedded mode in a container, which reaches the run's
     * PostgreSQL (a container on a fixed host port in docker mode) through Testcontainers' host
     * gateway. Not verified by CI, which has no Docker engine.
     */
    static RunningServer<PgBouncerBackend> docker() {
        PostgresBackend postgres = Backends.postgres();
        Testcontainers.exposeHostPorts(postgres.port());
        int hostPort = FreePorts.pick();
        PgBouncerConfig config = new PgBouncerConfig("0.0.0.0", 6432, GenericContainer.INTERNAL_HOST_HOSTNAME, postgres.port(),
                postgres.user(), postgres.password(), true, CONTAINER_AUTH_FILE);
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withCopyToContainer(Transferable.of(config.ini(), 0644), CONTAINER_CONFIG)
                .withCopyToContainer(Transferable.of(config.authFileContent(), 0644), CONTAINER_AUTH_FILE)
                .withCreateContainerCmdModifier(command -> command.withEntrypoint("pgbouncer", CONTAINER_CONFIG))
                .withExposedPorts(6432);
        container.setPortBindings(List.of(hostPort + ":6432"));
        container.start();
        String host = container.getHost();
        String database = adminDatabase(postgres);
        FaultControl control = new RestartedContainer(container, "pgbouncer", () -> {
            try (Connection connection = DriverManager.getConnection("jdbc:postgresql://" + host + ":" + hostPort + "/" + database,
                    postgres.user(), postgres.password())) {
                return connection.isValid(2);
            }
        });
        return owned(container::stop, () -> new PgBouncerBackend(BackendMode.DOCKER, host, hostPort, postgres.user(), postgres.password(),
                PgBouncerConfig.POOL_SIZE, database, control));
    }

    /** The database the PostgreSQL handle was made with: {@code postgres} embedded, {@code labs} in its container. */
    private static String adminDatabase(PostgresBackend postgres) {
        return postgres.mode() == BackendMode.EMBEDDED ? "postgres" : "labs";
    }

    /**
     * {@code LABS_PGBOUNCER_URL}, a PgBouncer this run does not own, in front of the PostgreSQL of
     * {@code LABS_PG_URL}; its pool size is read from the admin console ({@code SHOW CONFIG}).
     */
    static RunningServer<PgBouncerBackend> external(BackendSettings settings) {
        String url = settings.get(URL);
        try {
            if (url == null || url.isBlank()) {
                throw new IllegalArgumentException(URL + " is not set: give the JDBC URL of your PgBouncer, e.g."
                        + " jdbc:postgresql://127.0.0.1:6432/labs");
            }
            Properties parsed = Driver.parseURL(url, null);
            if (parsed == null) {
                throw new IllegalArgumentException("not a PostgreSQL JDBC URL");
            }
            String host = parsed.getProperty("PGHOST");
            int port = Integer.parseInt(parsed.getProperty("PGPORT"));
            String user = settings.get(BackendSettings.PG_USER);
            String password = settings.get(BackendSettings.PG_PASSWORD);
            PgBouncerBackend backend = new PgBouncerBackend(BackendMode.EXTERNAL, host, port, user, password,
                    externalPoolSize(host, port, user, password), parsed.getProperty("PGDBNAME"),
                    FaultControl.unsupported("pgbouncer", BackendMode.EXTERNAL));
            return new RunningServer<>(backend, () -> { });
        } catch (RuntimeException e) {
            throw new BackendStartException("pgbouncer", BackendMode.EXTERNAL, URL + "=" + url, e);
        }
    }

    /** The handle of a started server, or the server stopped and the error rethrown. */
    private static RunningServer<PgBouncerBackend> owned(Runnable destroy, Supplier<PgBouncerBackend> handle) {
        try {
            return new RunningServer<>(handle.get(), destroy::run);
        } catch (RuntimeException | Error e) {
            try {
                destroy.run();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** {@code default_pool_size} of an external PgBouncer, from its admin console. */
    private static int externalPoolSize(String host, int port, String user, String password) {
        try {
            return PgBouncerAdminClient.query(host, port, user, password, "SHOW CONFIG").stream()
                    .filter(row -> "default_pool_size".equals(row.get("key")))
                    .map(row -> Integer.parseInt(row.get("value")))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("SHOW CONFIG has no default_pool_size"));
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read default_pool_size from PgBouncer's admin console as " + user
                    + " (the user must be one of its admin_users)", e);
        }
    }
}
