package dev.backendlabs.shared.backend;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A running PostgreSQL server: connection details, a ready HikariCP factory, database isolation
 * and, where this run owns the server, {@link #stop()} / {@link #start()} for outage tests.
 * Obtain it from {@link Backends#postgres()}.
 */
public final class PostgresBackend extends ServerHandle {

    static final int SHARED_POOL_SIZE = 16;
    private static final Pattern DATABASE_NAME = Pattern.compile("[a-z][a-z0-9_]{0,62}");

    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final String adminDatabase;
    private final String version;
    private final Map<LabNamespace, HikariDataSource> pools = new ConcurrentHashMap<>();

    PostgresBackend(BackendMode mode, String host, int port, String user, String password, String adminDatabase, FaultControl control) {
        super(mode, control);
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.adminDatabase = adminDatabase;
        this.version = queryVersion();
    }

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public String version() {
        return version;
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

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** A plain JDBC connection, for setup code and tests that want exactly one session. */
    public Connection connect(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(jdbcUrl(database), properties);
    }

    /**
     * The lab's shared HikariCP pool on its own database (created if missing): one per namespace
     * and server, made on first use, closed when the server stops. Up to {@value #SHARED_POOL_SIZE}
     * connections and a 5 s connection timeout; a test that needs its own sizing, or that measures
     * the pool itself, makes its own with {@link #dataSource(LabNamespace, Consumer)}.
     */
    public HikariDataSource pool(LabNamespace namespace) {
        return pools.computeIfAbsent(namespace, ns -> dataSource(ns, config -> config.setMaximumPoolSize(SHARED_POOL_SIZE)));
    }

    /** Closes the shared pools; the server's stopper calls it before the server goes away. */
    void closePools() {
        pools.values().forEach(HikariDataSource::close);
        pools.clear();
    }

    /**
     * A new HikariCP pool on the lab's own database, created if missing. The caller owns the
     * pool and closes it.
     */
    public HikariDataSource dataSource(LabNamespace namespace) {
        return dataSource(namespace, config -> { });
    }

    /** As {@link #dataSource(LabNamespace)}, with the pool configuration adjusted by {@code customizer}. */
    public HikariDataSource dataSource(LabNamespace namespace, Consumer<HikariConfig> customizer) {
        createDatabaseIfMissing(namespace.database());
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl(namespace.database()));
        config.setUsername(user);
        config.setPassword(password);
        config.setPoolName(namespace.lab());
        config.setMaximumPoolSize(10);
        config.setConnectionTimeout(5_000);
        customizer.accept(config);
        return new HikariDataSource(config);
    }

    /**
     * Creates {@code database} unless it exists. Two labs or two JVMs may race here, so a
     * {@code duplicate_database} error from the loser counts as success.
     */
    public void createDatabaseIfMissing(String database) {
        if (!DATABASE_NAME.matcher(database).matches()) {
            throw new IllegalArgumentException("Invalid database name '" + database + "': use [a-z][a-z0-9_]*, at most 63 characters");
        }
        try (Connection connection = connect(adminDatabase); Statement statement = connection.createStatement()) {
            try (ResultSet exists = statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'")) {
                if (exists.next()) {
                    return;
                }
            }
            statement.execute("CREATE DATABASE " + database);
        } catch (SQLException e) {
            if (!"42P04".equals(e.getSQLState())) {
                throw new IllegalStateException("Could not create database " + database + " on " + address(), e);
            }
        }
    }

    private String queryVersion() {
        try (Connection connection = connect(adminDatabase);
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SHOW server_version")) {
            rows.next();
            return rows.getString(1).split(" ")[0];
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot query the server version at " + jdbcUrl(adminDatabase), e);
        }
    }
}
