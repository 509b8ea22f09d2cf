package dev.backendlabs.pooling;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.PgBouncerBackend;
import dev.backendlabs.shared.backend.PostgresBackend;
import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.supplier.AgroalDataSourceConfigurationSupplier;
import io.agroal.api.security.NamePrincipal;
import io.agroal.api.security.SimplePassword;
import org.apache.commons.dbcp2.BasicDataSource;
import org.apache.tomcat.jdbc.pool.PoolProperties;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * How a request gets its connection: one of four pools, a new physical connection per request,
 * or HikariCP through PgBouncer. One enum for the lab's experiment and the benchmarks
 * ({@code PoolStrategyBenchmark} on PostgreSQL, {@code PoolCycleBenchmark} on a stub driver), so
 * that both compare the same configurations.
 *
 * <p>Every pool is fixed-size (minimum = maximum), does not auto-commit, waits up to
 * {@link #ACQUIRE_TIMEOUT} for a connection, and is otherwise in the "safe" configuration
 * HikariCP-benchmark gives it: DBCP2 validates every borrow ({@code testOnBorrow}, its default)
 * and rolls back on return, Tomcat validates at most once a second and rolls back on return,
 * HikariCP and Agroal as they come.
 */
public enum PoolStrategy {
    HIKARI,
    DBCP2,
    TOMCAT,
    AGROAL,
    /** No pool: every request opens a physical connection with {@code DriverManager} and closes it. */
    PER_REQUEST,
    /** HikariCP whose connections go to PgBouncer in transaction mode instead of PostgreSQL. */
    HIKARI_PGBOUNCER;

    /** How long a borrower waits for a connection before the pool fails it. */
    public static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(8);

    /** Where the connections go: a JDBC URL and its credentials. */
    public record Target(String jdbcUrl, String user, String password) {
    }

    /** An open data source of this strategy; closing it closes the pool. */
    public interface Pool extends AutoCloseable {
        DataSource dataSource();

        @Override
        void close();
    }

    /**
     * Where this strategy's connections go for {@code namespace}'s database (created if missing):
     * PostgreSQL, or PgBouncer for {@link #HIKARI_PGBOUNCER}, with unnamed statements where
     * PgBouncer cannot keep named ones (before 1.21, see {@code PgBouncerPreparedStatementTest}).
     */
    public Target target(LabNamespace namespace) {
        PostgresBackend postgres = Backends.postgres();
        postgres.createDatabaseIfMissing(namespace.database());
        if (this == HIKARI_PGBOUNCER) {
            PgBouncerBackend pgbouncer = Backends.get(PgBouncerBackend.KIND);
            String unnamed = pgbouncer.preparedStatements() ? "" : "?prepareThreshold=0";
            return new Target(pgbouncer.jdbcUrl(namespace.database()) + unnamed, pgbouncer.user(), pgbouncer.password());
        }
        return new Target(postgres.jdbcUrl(namespace.database()), postgres.user(), postgres.password());
    }

    /**
     * Opens this strategy on {@code target} with {@code size} connections (ignored by
     * {@link #PER_REQUEST}). {@link #HIKARI_PGBOUNCER} is HikariCP: give it PgBouncer's URL.
     */
    public Pool open(Target target, int size) {
        return switch (this) {
            case HIKARI, HIKARI_PGBOUNCER -> hikari(target, size);
            case DBCP2 -> dbcp2(target, size);
            case TOMCAT -> tomcat(target, size);
            case AGROAL -> agroal(target, size);
            case PER_REQUEST -> perRequest(target);
        };
    }

    private static Pool hikari(Target target, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(target.jdbcUrl());
        config.setUsername(target.user());
        config.setPassword(target.password());
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        config.setAutoCommit(false);
        config.setConnectionTimeout(ACQUIRE_TIMEOUT.toMillis());
        config.setPoolName("strategy-hikari");
        HikariDataSource dataSource = new HikariDataSource(config);
        return pool(dataSource, dataSource::close);
    }

    private static Pool dbcp2(Target target, int size) {
        BasicDataSource dataSource = new BasicDataSource();
        dataSource.setUrl(target.jdbcUrl());
        dataSource.setUsername(target.user());
        dataSource.setPassword(target.password());
        dataSource.setInitialSize(size);
        dataSource.setMinIdle(size);
        dataSource.setMaxIdle(size);
        dataSource.setMaxTotal(size);
        dataSource.setMaxWait(ACQUIRE_TIMEOUT);
        dataSource.setDefaultAutoCommit(false);
        dataSource.setRollbackOnReturn(true);
        dataSource.setAutoCommitOnReturn(false);
        dataSource.setTestOnBorrow(true);
        dataSource.setCacheState(true);
        dataSource.setFastFailValidation(true);
        return pool(dataSource, () -> {
            try {
                dataSource.close();
            } catch (SQLException e) {
                throw new IllegalStateException("Could not close the DBCP2 pool", e);
            }
        });
    }

    private static Pool tomcat(Target target, int size) {
        PoolProperties properties = new PoolProperties();
        properties.setUrl(target.jdbcUrl());
        properties.setDriverClassName(driverClassName(target));
        properties.setUsername(target.user());
        properties.setPassword(target.password());
        properties.setInitialSize(size);
        properties.setMinIdle(size);
        properties.setMaxIdle(size);
        properties.setMaxActive(size);
        properties.setMaxWait((int) ACQUIRE_TIMEOUT.toMillis());
        properties.setDefaultAutoCommit(false);
        properties.setRollbackOnReturn(true);
        properties.setUseDisposableConnectionFacade(true);
        properties.setJdbcInterceptors("org.apache.tomcat.jdbc.pool.interceptor.ConnectionState;"
                + "org.apache.tomcat.jdbc.pool.interceptor.StatementFinalizer");
        properties.setTestOnBorrow(true);
        properties.setValidationInterval(1_000);
        properties.setValidator((connection, action) -> isValid(connection));
        org.apache.tomcat.jdbc.pool.DataSource dataSource = new org.apache.tomcat.jdbc.pool.DataSource(properties);
        return pool(dataSource, dataSource::close);
    }

    private static boolean isValid(Connection connection) {
        try {
            return connection.isValid(0);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Tomcat loads the driver by class name; DriverManager knows which driver takes the URL. */
    private static String driverClassName(Target target) {
        try {
            return DriverManager.getDriver(target.jdbcUrl()).getClass().getName();
        } catch (SQLException e) {
            throw new IllegalArgumentException("No JDBC driver takes " + target.jdbcUrl(), e);
        }
    }

    private static Pool agroal(Target target, int size) {
        AgroalDataSourceConfigurationSupplier configuration = new AgroalDataSourceConfigurationSupplier()
                .connectionPoolConfiguration(pool -> pool.initialSize(size).minSize(size).maxSize(size)
                        .acquisitionTimeout(ACQUIRE_TIMEOUT)
                        .connectionFactoryConfiguration(factory -> factory.jdbcUrl(target.jdbcUrl()).autoCommit(false)
                                .principal(new NamePrincipal(target.user()))
                                .credential(new SimplePassword(target.password()))));
        try {
            AgroalDataSource dataSource = AgroalDataSource.from(configuration);
            return pool(dataSource, dataSource::close);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not start the Agroal pool on " + target.jdbcUrl(), e);
        }
    }

    private static Pool perRequest(Target target) {
        DataSource dataSource = new DriverManagerDataSource(target);
        return pool(dataSource, () -> { });
    }

    private static Pool pool(DataSource dataSource, Runnable close) {
        return new Pool() {
            @Override
            public DataSource dataSource() {
                return dataSource;
            }

            @Override
            public void close() {
                close.run();
            }
        };
    }

    /** A data source without a pool: {@code DriverManager.getConnection} per borrow, auto-commit off like the pools. */
    private record DriverManagerDataSource(Target target) implements DataSource {

        @Override
        public Connection getConnection() throws SQLException {
            return getConnection(target.user(), target.password());
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            Connection connection = DriverManager.getConnection(target.jdbcUrl(), user, password);
            connection.setAutoCommit(false);
            return connection;
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
            // DriverManager logs on its own.
        }

        @Override
        public void setLoginTimeout(int seconds) {
            DriverManager.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() {
            return DriverManager.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException("no parent logger");
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
    }
}
