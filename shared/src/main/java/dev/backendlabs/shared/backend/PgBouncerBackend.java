package dev.backendlabs.shared.backend;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * A running PgBouncer in transaction mode in front of this run's PostgreSQL: the pooling lab's
 * fourth kind of server, added through the registry ({@link #KIND}) like any kind a lab adds.
 *
 * <p>Every database name is forwarded to the PostgreSQL of the run, with
 * {@link #serverPoolSize()} server connections per database and user however many clients
 * connect. Clients connect with {@link #jdbcUrl(String)} or {@link #connect(String)}; the admin
 * console ({@code SHOW POOLS}, {@code SHOW SERVERS}, {@code SET}) answers {@link #admin(String)}.
 *
 * <ul>
 *   <li><b>embedded</b>: the {@code pgbouncer} binary of this machine ({@link PgBouncerBinary}), on
 *       a free loopback port, with a generated configuration; {@link #stop()} kills the process and
 *       {@link #start()} brings it back on the same port.</li>
 *   <li><b>docker</b>: the same configuration in a {@value PgBouncerServers#IMAGE} container.</li>
 *   <li><b>external</b>: {@code LABS_PGBOUNCER_URL}, a JDBC URL of a PgBouncer you run, with the
 *       user and password of {@code LABS_PG_USER} / {@code LABS_PG_PASSWORD}; that user must be
 *       one of its {@code admin_users}.</li>
 * </ul>
 */
public final class PgBouncerBackend implements Backend, FaultControl {

    /** The kind: {@code Backends.get(PgBouncerBackend.KIND)}; it starts (or finds) PostgreSQL first. */
    public static final ServerKind<PgBouncerBackend> KIND = ServerKind.of("pgbouncer", PgBouncerBackend.class,
            PgBouncerServers::docker, PgBouncerServers::embedded, PgBouncerServers::external);

    static {
        Backends.register(KIND);
    }

    /**
     * A PgBouncer (and the run's PostgreSQL behind it) for the caller alone, outside the shared
     * registry, so that it is not among {@link Backends#started()}; the caller closes it, and a
     * shutdown hook stops it if the JVM ends first.
     *
     * @throws BackendStartException naming the mode and the cause, like the shared start
     */
    public static RunningServer<PgBouncerBackend> dedicated() {
        BackendMode mode = Backends.mode();
        RunningServer<PgBouncerBackend> server;
        try {
            server = KIND.start(mode, BackendSettings.fromEnvironment());
        } catch (BackendStartException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BackendStartException(KIND.name(), mode, "a dedicated server", e);
        }
        Thread hook = new Thread(server::close, "pgbouncer-dedicated-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        return new RunningServer<>(server.backend(), () -> {
            server.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or has run: the server is stopped either way.
            }
        });
    }

    private final BackendMode mode;
    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final int serverPoolSize;
    private final FaultControl control;
    private final String version;

    /**
     * Checks the server with two real round trips: the admin console (which gives the version)
     * and a query through to PostgreSQL on {@code database}, so that a wrong address or login
     * fails the start, not the first test.
     */
    PgBouncerBackend(BackendMode mode, String host, int port, String user, String password, int serverPoolSize, String database,
                     FaultControl control) {
        this.mode = mode;
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.serverPoolSize = serverPoolSize;
        this.control = control;
        this.version = queryVersion();
        try (Connection connection = connect(database); Statement statement = connection.createStatement()) {
            statement.execute("SELECT 1");
        } catch (SQLException e) {
            throw new IllegalStateException("PgBouncer at " + address() + " answers, but not a query through it to database " + database,
                    e);
        }
    }

    @Override
    public String name() {
        return "pgbouncer";
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public BackendMode mode() {
        return mode;
    }

    @Override
    public String address() {
        return host + ":" + port;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** Server connections PgBouncer opens per database and user ({@code default_pool_size}). */
    public int serverPoolSize() {
        return serverPoolSize;
    }

    /**
     * Whether this PgBouncer keeps protocol-level prepared statements across server connections
     * ({@code max_prepared_statements}, PgBouncer 1.21 and later; this run's configuration sets it
     * to {@value PgBouncerConfig#PREPARED_STATEMENTS} where it exists).
     */
    public boolean preparedStatements() {
        return PgBouncerBinary.atLeast(version, 1, 21);
    }

    /** The JDBC URL of {@code database} through PgBouncer, with pgjdbc's defaults (add parameters to test others). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** One client connection through PgBouncer: a session with PgBouncer, not with a server. */
    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), credentials());
    }

    /**
     * Runs one command on the admin console (the virtual database {@code pgbouncer}):
     * {@code SHOW POOLS}, {@code SHOW SERVERS}, {@code SHOW CONFIG}, {@code SET key = value}.
     *
     * @return the rows, each a map from column name to its text value
     */
    public List<Map<String, String>> admin(String command) throws SQLException {
        return PgBouncerAdminClient.query(host, port, user, password, command);
    }

    /**
     * A new HikariCP pool through PgBouncer on the lab's own database (created on PostgreSQL if
     * missing), adjusted by {@code customizer}. The caller owns the pool and closes it.
     */
    public HikariDataSource dataSource(LabNamespace namespace, Consumer<HikariConfig> customizer) {
        Backends.postgres().createDatabaseIfMissing(namespace.database());
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl(namespace.database()));
        config.setUsername(user);
        config.setPassword(password);
        config.setPoolName(namespace.lab() + "-pgbouncer");
        config.setMaximumPoolSize(10);
        config.setConnectionTimeout(5_000);
        customizer.accept(config);
        return new HikariDataSource(config);
    }

    /**
     * Stops PgBouncer (its clients' connections break; PostgreSQL keeps running).
     *
     * @throws UnsupportedOperationException in external mode, where this run does not own the server
     */
    @Override
    public void stop() {
        control.stop();
    }

    /** Starts PgBouncer again on the same address. */
    @Override
    public void start() {
        control.start();
    }

    @Override
    public boolean running() {
        return control.running();
    }

    private Properties credentials() {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password == null ? "" : password);
        properties.setProperty("connectTimeout", "5");
        return properties;
    }

    /** {@code SHOW VERSION} answers {@code PgBouncer 1.18.0}; the number is kept. */
    private String queryVersion() {
        try {
            String text = admin("SHOW VERSION").getFirst().values().iterator().next();
            return text.startsWith("PgBouncer ") ? text.substring("PgBouncer ".length()).trim() : text.trim();
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read the version from PgBouncer's admin console at " + address() + " as user " + user
                    + " (the user must be one of its admin_users)", e);
        }
    }
}
