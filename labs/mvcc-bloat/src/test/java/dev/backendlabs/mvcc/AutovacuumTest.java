package dev.backendlabs.mvcc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.mvcc.MvccBloatFixture.Held;
import dev.backendlabs.mvcc.MvccBloatFixture.Holder;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.Backend;
import dev.backendlabs.shared.backend.BackendMode;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.DockerImages;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.backend.RunningServer;
import dev.backendlabs.shared.backend.ServerKind;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.ChartSpec;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import dev.backendlabs.shared.sql.Sql;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Autovacuum, as it really runs: a worker visits each database once per
 * {@code autovacuum_naptime} and vacuums the tables whose {@code n_dead_tup} is past
 * {@code autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor × reltuples} — 50 + 0.2 ×
 * reltuples by default, settable per table. Three tables take the same updates at
 * {@value #UPDATES_PER_SECOND}/s for one window:
 *
 * <ul>
 *   <li>{@code av_default}: the default trigger;</li>
 *   <li>{@code av_tuned}: {@code autovacuum_vacuum_scale_factor = 0.01}, the only difference;</li>
 *   <li>{@code av_pinned}: tuned the same, in a database of its own where an idle REPEATABLE READ
 *       transaction holds the horizon. A session pins only its own database's tables, so the pin
 *       does not reach the two others; autovacuum visits it all the same, and removes nothing.</li>
 * </ul>
 *
 * <p>The naptime is a server setting (60 s by default), so the window runs on a PostgreSQL of its
 * own with {@code autovacuum_naptime = 1s} ({@link AutovacuumServer}): one second stands for a
 * minute, and the quick scale sees some thirty visits instead of one. The tables have fillfactor 100
 * and the updated column indexed, so no update is heap-only and every one leaves a dead tuple whose
 * index entry only VACUUM removes: {@code n_dead_tup} counts the updates since the last vacuum.
 * The window runs once; each test reads one side of it.
 */
@Lab
class AutovacuumTest {

    private static final double UPDATES_PER_SECOND = 500;
    /** 50,000 rows: the default trigger (10,050 dead tuples) is reached after about 20 s of updates. */
    private static final int ROWS = Scale.current().pick(50_000, 200_000);
    private static final String DATABASE = MvccBloatFixture.NAMESPACE.database();
    private static final String PINNED_DATABASE = DATABASE + "_pinned";
    private static final String[] TABLES = {"av_default", "av_tuned", "av_pinned"};
    private static final int DEFAULT = 0;
    private static final int TUNED = 1;
    private static final int PINNED = 2;
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(1);

    /** One reading of the three tables: {@code n_dead_tup}, total size (heap and indexes), {@code autovacuum_count}. */
    private record Sample(double seconds, long[] dead, long[] bytes, long[] autovacuums) {
    }

    private record Window(String server, long naptimeSeconds, Duration length, long updates, List<Sample> samples, TableHealth[] after,
                          double[] triggers) {

        /** Autovacuum runs on table {@code i} during the window (the count at the first sample subtracted). */
        long runs(int i) {
            return after[i].autovacuumCount() - samples.getFirst().autovacuums()[i];
        }
    }

    private static Window window;

    @BeforeAll
    static void runOneWindow() throws Exception {
        AutovacuumServer server = Backends.get(AutovacuumServer.KIND);
        try (HikariDataSource database = server.dataSource(DATABASE, 6);
             HikariDataSource pinnedDatabase = server.dataSource(PINNED_DATABASE, 4)) {
            long naptime = Sql.queryLong(database, "SELECT setting::bigint FROM pg_settings WHERE name = 'autovacuum_naptime'");
            Duration length = windowLength(Scale.current(), naptime);
            long updates = (long) (UPDATES_PER_SECOND * length.toSeconds());
            DataSource[] sources = {database, database, pinnedDatabase};
            for (DataSource source : new DataSource[] {database, pinnedDatabase}) {
                try (Connection connection = source.getConnection(); Statement sql = connection.createStatement()) {
                    sql.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple");
                    sql.execute("CREATE TABLE IF NOT EXISTS " + MvccBloatFixture.NOTES + " (id bigserial PRIMARY KEY, note text NOT NULL)");
                }
            }
            prepare(database, TABLES[DEFAULT], "autovacuum_enabled = on");
            prepare(database, TABLES[TUNED], "autovacuum_enabled = on, autovacuum_vacuum_scale_factor = 0.01");
            prepare(pinnedDatabase, TABLES[PINNED],
                    "autovacuum_enabled = on, autovacuum_vacuum_scale_factor = 0.01, log_autovacuum_min_duration = 0");
            double[] triggers = new double[TABLES.length];
            for (int i = 0; i < TABLES.length; i++) {
                triggers[i] = trigger(sources[i], TABLES[i]);
            }
            try (Held held = Held.begin(Holder.REPEATABLE_READ_READ, pinnedDatabase.getConnection(), database)) {
                List<Sample> samples = run(sources, updates, naptime);
                TableHealth[] after = new TableHealth[TABLES.length];
                for (int i = 0; i < TABLES.length; i++) {
                    after[i] = MvccBloatFixture.health(sources[i], TABLES[i]);
                }
                assertThat(held.pin().backendXmin()).as("the pin in " + PINNED_DATABASE + " held to the end").isNotNull();
                window = new Window(server.describe(), naptime, length, updates, samples, after, triggers);
            }
        }
    }

    /** Autovacuum on these tables would go on running during the other tests where the window ran on the lab's own server. */
    @AfterAll
    static void turnAutovacuumOff() throws Exception {
        AutovacuumServer server = Backends.get(AutovacuumServer.KIND);
        try (HikariDataSource database = server.dataSource(DATABASE, 1)) {
            for (int i : new int[] {DEFAULT, TUNED}) {
                Sql.execute(database, "DROP TABLE IF EXISTS " + TABLES[i]);
            }
        }
        server.dropDatabase(PINNED_DATABASE);
    }

    @Test
    void autovacuumRunsUnderAPinAndRemovesNothing(LabReport report) {
        TableHealth pinned = window.after()[PINNED];
        report.metric("pinned_autovacuum_runs", window.runs(PINNED), "runs", "Autovacuum runs on av_pinned (scale factor 0.01)"
                + " while an idle REPEATABLE READ transaction in its database held the horizon (autovacuum_count).");
        report.metric("pinned_autovacuum_dead_tuples_left", pinned.deadTuples(), "tuples", "Dead tuples in av_pinned after those runs"
                + " (pgstattuple), against " + window.updates() + " updates: autovacuum removed none.");
        assertThat(window.runs(PINNED)).isGreaterThanOrEqualTo(1);
        assertThat(pinned.lastAutovacuum()).isNotNull();
        // Each update left one dead version, and every one of them is still there.
        assertThat(pinned.deadTuples()).isEqualTo(window.updates());
        // The tuned twin in the other database, same updates and settings, was cleaned: the pin stays in its own database.
        assertThat(window.runs(TUNED)).isGreaterThanOrEqualTo(1);
        assertThat(window.after()[TUNED].deadTuples()).isLessThan(window.updates() / 10);
    }

    @Experiment
    void aScaleFactorOfOnePercentKeepsDeadTuplesFarBelowTheDefault(LabReport report) {
        List<Sample> samples = window.samples();
        double[] seconds = samples.stream().mapToDouble(Sample::seconds).toArray();
        ChartSpec chart = report.line("dead-tuples-autovacuum.png", "n_dead_tup while " + ROWS + "-row tables take "
                + (long) UPDATES_PER_SECOND
                + " updates/s (autovacuum_naptime " + window.naptimeSeconds() + " s)", "time (s)", "n_dead_tup (tuples)");
        String[] names = {"default (50 + 0.2 × reltuples)", "scale factor 0.01", "scale factor 0.01, horizon pinned in its database"};
        ReportTable table = ReportTable.of("Autovacuum over " + window.length().toSeconds() + " s: " + window.updates()
                        + " updates of each " + ROWS + "-row table, on " + window.server(),
                "table", "trigger (dead tuples)", "autovacuum runs", "first run at (s)",
                "peak n_dead_tup", "size at the start (MB)", "peak size (MB)", "dead tuples at the end (pgstattuple)");
        long[] peaks = new long[TABLES.length];
        long[] peakBytes = new long[TABLES.length];
        for (int i = 0; i < TABLES.length; i++) {
            int table1 = i;
            chart.series(names[i], seconds, samples.stream().mapToDouble(sample -> sample.dead()[table1]).toArray());
            peaks[i] = samples.stream().mapToLong(sample -> sample.dead()[table1]).max().orElse(0);
            peakBytes[i] = samples.stream().mapToLong(sample -> sample.bytes()[table1]).max().orElse(0);
            double firstRun = samples.stream().filter(sample -> sample.autovacuums()[table1] > samples.getFirst().autovacuums()[table1])
                    .mapToDouble(Sample::seconds).findFirst().orElse(Double.NaN);
            table.row(TABLES[i] + ": " + names[i], window.triggers()[i], window.runs(i), Double.isNaN(firstRun) ? "-" : firstRun, peaks[i],
                    MvccBloatFixture.mb(samples.getFirst().bytes()[i]), MvccBloatFixture.mb(peakBytes[i]), window.after()[i].deadTuples());
        }
        report.table(table);
        report.metric("autovacuum_tuned_peak_dead_ratio", (double) peaks[DEFAULT] / peaks[TUNED], "x",
                "Peak n_dead_tup with the default trigger / with autovacuum_vacuum_scale_factor = 0.01, same updates, over "
                        + window.length().toSeconds() + " s (" + window.length().toSeconds() / window.naptimeSeconds() + " naptimes).");
        long[] first = samples.getFirst().bytes();
        report.metric("autovacuum_tuned_peak_growth_ratio",
                (double) (peakBytes[DEFAULT] - first[DEFAULT]) / Math.max(1, peakBytes[TUNED] - first[TUNED]), "x",
                "Peak growth of heap and indexes with the default trigger / with the scale factor 0.01, same window.");

        assertThat(samples).allSatisfy(sample -> assertThat(sample.dead()).hasSize(TABLES.length));
        assertThat(samples.size()).as("samples, one a second").isGreaterThanOrEqualTo((int) (window.length().toSeconds() / 2));
    }

    /**
     * 30 s at the quick scale, 120 s at full, on the dedicated server's 1 s naptime. On an external
     * server with the default 60 s the quick window holds one visit (65 s), the full one six (365 s).
     */
    static Duration windowLength(Scale scale, long naptimeSeconds) {
        return Duration.ofSeconds(scale.pick(Math.max(naptimeSeconds + 5, 30), Math.max(6 * naptimeSeconds + 5, 120)));
    }

    private static void prepare(DataSource dataSource, String table, String options) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement sql = connection.createStatement()) {
            UpdateLayout.FILLFACTOR_100.create(connection, table, ROWS);
            sql.execute("CREATE INDEX " + table + "_balance ON " + table + " (balance)");
            // The load's inserts reach the statistics after the VACUUM that followed them, and would trigger an insert-driven
            // autovacuum at the first visit: flush them, then vacuum again, so that the window starts with nothing pending.
            sql.execute("SELECT pg_stat_force_next_flush()");
            sql.execute("VACUUM " + table);
            sql.execute("ALTER TABLE " + table + " SET (" + options + ")");
        }
    }

    /** The table's vacuum trigger: threshold + scale factor × reltuples, per-table settings first. */
    private static double trigger(DataSource dataSource, String table) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement select = connection.prepareStatement("""
                SELECT coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions)
                                  WHERE option_name = 'autovacuum_vacuum_threshold'),
                                current_setting('autovacuum_vacuum_threshold')::float8)
                     + coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions)
                                  WHERE option_name = 'autovacuum_vacuum_scale_factor'),
                                current_setting('autovacuum_vacuum_scale_factor')::float8) * c.reltuples
                  FROM pg_class c WHERE c.oid = ?::regclass""")) {
            select.setString(1, table);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getDouble(1);
            }
        }
    }

    /** Runs the three workloads to the end, sampling once a second; then waits for the pinned table's first autovacuum if it has none. */
    private static List<Sample> run(DataSource[] sources, long updates, long naptime) throws Exception {
        List<Sample> samples = new ArrayList<>();
        long start = System.nanoTime();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workloads = new ArrayList<>();
            for (int i = 0; i < TABLES.length; i++) {
                int table = i;
                workloads.add(executor.submit(() ->
                        MvccBloatFixture.update(sources[table], TABLES[table], ROWS, updates, UPDATES_PER_SECOND, 7, false)));
            }
            long stopWaiting = start + Duration.ofSeconds(naptime + 15).toNanos() + (long) (updates / UPDATES_PER_SECOND * 1e9);
            Sample last = sample(sources, start);
            samples.add(last);
            while (!workloads.stream().allMatch(Future::isDone) || (last.autovacuums()[PINNED] == 0 && System.nanoTime() < stopWaiting)) {
                LockSupport.parkNanos(SAMPLE_EVERY.toNanos());
                last = sample(sources, start);
                samples.add(last);
            }
            for (Future<?> workload : workloads) {
                workload.get(1, TimeUnit.MINUTES);
            }
        }
        return samples;
    }

    private static Sample sample(DataSource[] sources, long start) throws SQLException {
        long[] dead = new long[TABLES.length];
        long[] bytes = new long[TABLES.length];
        long[] autovacuums = new long[TABLES.length];
        for (int i = 0; i < TABLES.length; i++) {
            try (Connection connection = sources[i].getConnection(); PreparedStatement select = connection.prepareStatement(
                    "SELECT n_dead_tup, pg_total_relation_size(relid), autovacuum_count"
                            + " FROM pg_stat_user_tables WHERE relid = ?::regclass")) {
                select.setString(1, TABLES[i]);
                try (ResultSet rows = select.executeQuery()) {
                    rows.next();
                    dead[i] = rows.getLong(1);
                    bytes[i] = rows.getLong(2);
                    autovacuums[i] = rows.getLong(3);
                }
            }
        }
        return new Sample((System.nanoTime() - start) / 1e9, dead, bytes, autovacuums);
    }

    /**
     * A PostgreSQL for the autovacuum window alone, with {@code autovacuum_naptime = 1s}: a server
     * setting, so nothing to change on the shared server. Embedded (zonky, the shared server's
     * binaries) or Docker (the shared server's image), fsync on like the shared server. In external
     * mode, where this run starts no servers, it is the external server itself, and the window
     * stretches to that server's naptime.
     */
    record AutovacuumServer(BackendMode mode, String host, int port, String user, String password, String adminDatabase, String version)
            implements Backend {

        static final ServerKind<AutovacuumServer> KIND = ServerKind.of("postgres-autovacuum-1s", AutovacuumServer.class,
                AutovacuumServer::docker, AutovacuumServer::embedded, settings -> external());

        @Override
        public String name() {
            return KIND.name();
        }

        @Override
        public String address() {
            return host + ":" + port;
        }

        private String jdbcUrl(String database) {
            return "jdbc:postgresql://" + address() + "/" + database;
        }

        /** A pool of {@code size} on {@code database}, created if missing. */
        HikariDataSource dataSource(String database, int size) throws SQLException {
            try (Connection admin = DriverManager.getConnection(jdbcUrl(adminDatabase), user, password);
                 PreparedStatement exists = admin.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                exists.setString(1, database);
                try (ResultSet rows = exists.executeQuery(); Statement sql = admin.createStatement()) {
                    if (!rows.next()) {
                        sql.execute("CREATE DATABASE " + database);
                    }
                }
            }
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(jdbcUrl(database));
            config.setUsername(user);
            config.setPassword(password);
            config.setPoolName(database + "@" + name());
            config.setMaximumPoolSize(size);
            config.setConnectionTimeout(5_000);
            return new HikariDataSource(config);
        }

        void dropDatabase(String database) throws SQLException {
            try (Connection admin = DriverManager.getConnection(jdbcUrl(adminDatabase), user, password);
                 Statement sql = admin.createStatement()) {
                sql.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }

        private static AutovacuumServer handle(BackendMode mode, String host, int port, String user, String password, String database) {
            String url = "jdbc:postgresql://" + host + ":" + port + "/" + database;
            try (Connection connection = DriverManager.getConnection(url, user, password);
                 Statement sql = connection.createStatement(); ResultSet rows = sql.executeQuery("SHOW server_version")) {
                rows.next();
                return new AutovacuumServer(mode, host, port, user, password, database, rows.getString(1).split(" ")[0]);
            } catch (SQLException e) {
                throw new IllegalStateException("Cannot reach the autovacuum server at " + host + ":" + port, e);
            }
        }

        private static RunningServer<AutovacuumServer> embedded() {
            EmbeddedPostgres postgres;
            try {
                postgres = EmbeddedPostgres.builder()
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setServerConfig("fsync", "on")
                        .setServerConfig("autovacuum_naptime", "1")
                        .setRegisterShutdownHook(false)
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                return new RunningServer<>(
                        handle(BackendMode.EMBEDDED, "127.0.0.1", postgres.getPort(), "postgres", "postgres", "postgres"), postgres);
            } catch (RuntimeException e) {
                try {
                    postgres.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }

        private static RunningServer<AutovacuumServer> docker() {
            PostgreSQLContainer container = new PostgreSQLContainer(DockerImageName.parse(DockerImages.POSTGRES))
                    .withDatabaseName("labs").withUsername("labs").withPassword("labs");
            container.setCommand("postgres", "-c", "fsync=on", "-c", "autovacuum_naptime=1");
            container.start();
            try {
                return new RunningServer<>(handle(BackendMode.DOCKER, container.getHost(), container.getMappedPort(5432), "labs", "labs",
                        "labs"), container::stop);
            } catch (RuntimeException e) {
                container.stop();
                throw e;
            }
        }

        private static RunningServer<AutovacuumServer> external() {
            PostgresBackend shared = Backends.postgres();
            MvccBloatFixture.pool();
            return new RunningServer<>(new AutovacuumServer(BackendMode.EXTERNAL, shared.host(), shared.port(), shared.user(),
                    shared.password(), DATABASE, shared.version()), () -> { });
        }
    }
}
