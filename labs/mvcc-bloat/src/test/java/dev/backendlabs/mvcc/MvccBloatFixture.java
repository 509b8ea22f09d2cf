package dev.backendlabs.mvcc;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.report.ChartSpec;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.awaitility.Awaitility.await;

/**
 * What the lab's test classes share: its database, the update workload, the transactions that hold
 * the horizon, and the heap-by-holder chart. No test class calls another.
 *
 * <p>The workload every holder scenario runs: {@value #UPDATES_PER_ROW} updates per row, on average,
 * of an {@code accounts} table of {@link #ROWS} rows, rows drawn at random with a fixed seed, 10
 * updates to a transaction, at {@link #UPDATES_PER_SECOND} from one session. One session and a
 * seeded draw make the page-level outcome (what fits, what is pruned) the same from run to run;
 * the fixed rate makes "how long a holder lived" mean "how many updates it saw" on any machine.
 */
final class MvccBloatFixture {

    static final LabNamespace NAMESPACE = LabNamespace.current();
    /** Rows of each holder scenario's table: 10,000 (1.2 MB of heap) at the quick scale, 100,000 at full. */
    static final int ROWS = Scale.current().pick(10_000, 100_000);
    /** Updates per row, on average, in every holder scenario (rows are drawn at random). */
    static final int UPDATES_PER_ROW = 3;
    /** Paced so that the scenario lasts 2 s at the quick scale (20 s at full), on any machine that keeps up. */
    static final double UPDATES_PER_SECOND = 15_000;
    static final int BATCH = 10;
    /** The table the holders read or write: never the table being updated, which they pin all the same. */
    static final String NOTES = "holder_notes";
    static final String GID_PREFIX = "mvcc-bloat-";
    private static final Duration SAMPLE_EVERY = Duration.ofMillis(100);

    private static boolean initialized;
    private static ReportTable holderTable;

    private MvccBloatFixture() {
    }

    /** The lab's shared pool on its own database. */
    static HikariDataSource pool() {
        return Backends.postgres().pool(NAMESPACE);
    }

    static PostgresBackend postgres() {
        return Backends.postgres();
    }

    /** A session on the lab's database with pgjdbc's defaults, the extended query protocol: what a Java service runs on. */
    static Connection session() throws SQLException {
        init();
        return postgres().connect(NAMESPACE.database());
    }

    /**
     * A session on the lab's database that speaks the simple query protocol, as psql does. The
     * difference matters here: over the extended protocol the unnamed portal of a transaction's
     * last SELECT lives until the next statement or the end of the transaction, and keeps the
     * snapshot it ran with; a simple query's portal ends with the query.
     */
    static Connection simpleProtocolSession() throws SQLException {
        return session("simple");
    }

    /**
     * A session on the lab's database with pgjdbc's {@code preferQueryMode} set: {@code simple} (every
     * statement over the simple protocol), {@code extendedForPrepared} (only {@link PreparedStatement}s
     * over the extended one) or {@code extended} (the default).
     */
    static Connection session(String preferQueryMode) throws SQLException {
        init();
        Properties properties = new Properties();
        properties.setProperty("user", postgres().user());
        properties.setProperty("password", postgres().password());
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("preferQueryMode", preferQueryMode);
        return DriverManager.getConnection(postgres().jdbcUrl(NAMESPACE.database()), properties);
    }

    /**
     * Once per JVM: the {@code pgstattuple} extension, the holders' notes table, and no prepared
     * transaction left by an earlier run that died (it would pin every scenario of this one).
     */
    static synchronized void init() throws SQLException {
        if (initialized) {
            return;
        }
        try (Connection connection = pool().getConnection(); Statement sql = connection.createStatement()) {
            sql.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple");
            sql.execute("CREATE TABLE IF NOT EXISTS " + NOTES + " (id bigserial PRIMARY KEY, note text NOT NULL)");
            rollbackLeftovers(connection);
        }
        initialized = true;
    }

    private static void rollbackLeftovers(Connection connection) throws SQLException {
        List<String> gids = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE ?")) {
            select.setString(1, GID_PREFIX + "%");
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    gids.add(rows.getString(1));
                }
            }
        }
        try (Statement sql = connection.createStatement()) {
            for (String gid : gids) {
                sql.execute("ROLLBACK PREPARED '" + gid + "'");
            }
        }
    }

    static TableHealth health(DataSource dataSource, String table) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return TableHealth.read(connection, table);
        }
    }

    static TableHealth health(String table) throws SQLException {
        return health(pool(), table);
    }

    static VacuumReport vacuum(String table) throws SQLException {
        try (Connection connection = pool().getConnection()) {
            return VacuumVerbose.vacuum(connection, table);
        }
    }

    /**
     * A fresh {@code table} of {@code rows} rows in {@code layout}, once nothing holds the horizon
     * in the lab's database any more: no scenario inherits the previous one's pin.
     */
    static void create(UpdateLayout layout, String table, int rows) throws SQLException {
        init();
        awaitNoHolder();
        try (Connection connection = pool().getConnection()) {
            layout.create(connection, table, rows);
        }
    }

    static double mb(long bytes) {
        return bytes / 1048576.0;
    }

    static double ratio(long after, long before) {
        return (double) after / before;
    }

    /** The primary key index of a table made by {@link UpdateLayout#create}. */
    private static String pkey(String table) {
        return table + "_pkey";
    }

    // ---------------------------------------------------------------- the workload

    /**
     * What one run of the workload did.
     *
     * @param seconds time since the start of each heap sample
     * @param heapMb  the table's size at that time ({@code pg_relation_size}), empty if not sampled
     */
    record Workload(long updates, Duration elapsed, double[] seconds, double[] heapMb) {

        double updatesPerSecond() {
            return updates / (elapsed.toNanos() / 1e9);
        }
    }

    /**
     * The holder scenarios' workload on {@code table}: {@link #UPDATES_PER_ROW} × {@link #ROWS}
     * updates at {@link #UPDATES_PER_SECOND}, heap sampled.
     */
    static Workload holderWorkload(String table) throws SQLException, InterruptedException {
        return update(pool(), table, ROWS, (long) UPDATES_PER_ROW * ROWS, UPDATES_PER_SECOND, 1, true);
    }

    /**
     * Runs {@code updates} updates of {@code table} from one session: rows drawn at random (seeded)
     * from 1..{@code rows}, {@value #BATCH} updates to a transaction, paced at {@code perSecond}
     * ({@link Pacer}; infinite: as fast as it goes); then waits until {@code pg_stat_user_tables}
     * has counted them.
     *
     * @param seed       the random rows' seed: same seed, same rows in the same order
     * @param sampleHeap whether to sample the table's size every 100 ms while it runs
     */
    static Workload update(DataSource dataSource, String table, int rows, long updates, double perSecond, long seed, boolean sampleHeap)
            throws SQLException, InterruptedException {
        long counted = updatesCounted(dataSource, table);
        List<double[]> samples = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicReference<SQLException> samplingFailed = new AtomicReference<>();
        long start = System.nanoTime();
        Thread sampler = sampleHeap ? Thread.ofVirtual().start(() -> {
            try {
                sampleHeap(dataSource, table, start, running, samples);
            } catch (SQLException e) {
                samplingFailed.set(e);
            }
        }) : null;
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            Pacer pacer = new Pacer(perSecond);
            try (PreparedStatement update = connection.prepareStatement(UpdateLayout.updateSql(table))) {
                SplittableRandom random = new SplittableRandom(seed);
                long[] batch = new long[BATCH];
                for (long done = 0; done < updates; ) {
                    int size = (int) Math.min(BATCH, updates - done);
                    for (int i = 0; i < size; i++) {
                        batch[i] = 1 + random.nextInt(rows);
                    }
                    // Rows locked in id order: two sessions running this never deadlock.
                    Arrays.sort(batch, 0, size);
                    pacer.await(size);
                    for (int i = 0; i < size; i++) {
                        update.setLong(1, batch[i]);
                        update.addBatch();
                    }
                    update.executeBatch();
                    connection.commit();
                    done += size;
                }
            } finally {
                connection.rollback();
                connection.setAutoCommit(true);
            }
            forceStatsFlush(connection);
        } finally {
            running.set(false);
            if (sampler != null) {
                sampler.join();
            }
        }
        if (samplingFailed.get() != null) {
            throw samplingFailed.get();
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        long expected = counted + updates;
        await().atMost(Duration.ofSeconds(15)).until(() -> updatesCounted(dataSource, table) >= expected);
        synchronized (samples) {
            return new Workload(updates, elapsed, samples.stream().mapToDouble(s -> s[0]).toArray(),
                    samples.stream().mapToDouble(s -> s[1]).toArray());
        }
    }

    /**
     * Spaces batches of updates at a fixed rate. A run that falls behind (a stall of the machine)
     * goes on at the rate from where it is instead of bursting to catch up, so that any span of
     * {@code t} seconds holds at most {@code rate × t} updates, plus one batch.
     */
    static final class Pacer {

        private final double nanosPerUpdate;
        private long next = System.nanoTime();

        /** {@code perSecond} infinite: no pacing. */
        Pacer(double perSecond) {
            this.nanosPerUpdate = Double.isInfinite(perSecond) ? 0 : 1e9 / perSecond;
        }

        /** Waits until the next batch is due, and books {@code updates} updates' worth of time for it. */
        void await(int updates) {
            if (nanosPerUpdate == 0) {
                return;
            }
            next = Math.max(next, System.nanoTime());
            for (long wait = next - System.nanoTime(); wait > 0; wait = next - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            next += (long) (updates * nanosPerUpdate);
        }
    }

    /**
     * A backend sends its statistics at most once a second, and an idle one only after 10 s:
     * {@code pg_stat_force_next_flush()} makes this one send them before it answers.
     */
    private static void forceStatsFlush(Connection connection) throws SQLException {
        try (Statement sql = connection.createStatement()) {
            sql.execute("SELECT pg_stat_force_next_flush()");
        }
    }

    private static long updatesCounted(DataSource dataSource, String table) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relid = ?::regclass")) {
            select.setString(1, table);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? rows.getLong(1) : 0;
            }
        }
    }

    private static void sampleHeap(DataSource dataSource, String table, long start, AtomicBoolean running, List<double[]> samples)
            throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement size = connection.prepareStatement("SELECT pg_relation_size(?::regclass)")) {
            size.setString(1, table);
            do {
                try (ResultSet rows = size.executeQuery()) {
                    rows.next();
                    synchronized (samples) {
                        samples.add(new double[] {(System.nanoTime() - start) / 1e9, mb(rows.getLong(1))});
                    }
                }
                LockSupport.parkNanos(SAMPLE_EVERY.toNanos());
            } while (running.get());
        }
    }

    // ---------------------------------------------------------------- the holders

    /** What a session's row in {@code pg_stat_activity} shows: the snapshot and the transaction id it holds, or null. */
    record SessionPin(Long backendXmin, Long backendXid) {
    }

    /**
     * The transactions that may hold the horizon while the workload runs, each as real code
     * would leave it: begun, one statement run, then nothing — a request waiting on a slow call, a
     * console left open, a coordinator that crashed between the phases of a two-phase commit.
     */
    enum Holder {
        // region holders
        /** A REPEATABLE READ transaction that read once: its snapshot ({@code backend_xmin}) stays. */
        REPEATABLE_READ_READ("REPEATABLE READ, one read") {
            @Override
            void begin(Connection session) throws SQLException {
                session.setAutoCommit(false);
                session.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                read(session);
            }
        },
        /** A READ COMMITTED transaction that wrote once, anywhere: its transaction id ({@code backend_xid}) stays. */
        READ_COMMITTED_WRITE("READ COMMITTED, one write") {
            @Override
            void begin(Connection session) throws SQLException {
                session.setAutoCommit(false);
                write(session);
            }
        },
        /** A transaction prepared for two-phase commit and never finished: no session, still pinned. */
        PREPARED("prepared transaction") {
            @Override
            void begin(Connection session) throws SQLException {
                session.setAutoCommit(false);
                write(session);
                try (Statement sql = session.createStatement()) {
                    sql.execute("PREPARE TRANSACTION '" + GID_PREFIX + "holder'");
                }
            }
        },
        /**
         * A READ COMMITTED transaction that only read. Between statements it needs no snapshot — but
         * over the extended query protocol the portal of its last SELECT keeps one until the next
         * statement ({@link #simpleProtocolSession()} shows the difference).
         */
        READ_COMMITTED_READ_ONLY("READ COMMITTED, one read") {
            @Override
            void begin(Connection session) throws SQLException {
                session.setAutoCommit(false);
                read(session);
            }
        };
        // endregion

        private final String label;

        Holder(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }

        abstract void begin(Connection session) throws SQLException;

        private static void read(Connection session) throws SQLException {
            try (Statement sql = session.createStatement(); ResultSet rows = sql.executeQuery("SELECT count(*) FROM " + NOTES)) {
                rows.next();
            }
        }

        private static void write(Connection session) throws SQLException {
            try (Statement sql = session.createStatement()) {
                sql.executeUpdate("INSERT INTO " + NOTES + " (note) VALUES ('a write that never commits')");
            }
        }
    }

    /**
     * A holder in place, ended by {@link #close()}: the session rolls back and closes, or the
     * prepared transaction is rolled back; either way it returns only once the server shows it
     * holds nothing. (Each scenario also starts by waiting until nothing holds the horizon in the
     * lab's database: {@link #create}.)
     */
    static final class Held implements AutoCloseable {

        private final Holder holder;
        private final Connection session;
        private final int pid;
        private final DataSource server;

        private Held(Holder holder, Connection session, int pid, DataSource server) {
            this.holder = holder;
            this.session = session;
            this.pid = pid;
            this.server = server;
        }

        /**
         * Begins {@code holder} on {@code session}, a session of the lab's server, which the returned
         * handle owns. A prepared transaction leaves its session with nothing: the session is closed
         * at once.
         */
        static Held begin(Holder holder, Connection session) throws SQLException {
            init();
            return begin(holder, session, pool());
        }

        /** As {@link #begin(Holder, Connection)} on another server, watched through {@code server}. */
        static Held begin(Holder holder, Connection session, DataSource server) throws SQLException {
            int pid;
            try (Statement sql = session.createStatement(); ResultSet rows = sql.executeQuery("SELECT pg_backend_pid()")) {
                rows.next();
                pid = rows.getInt(1);
            }
            try {
                holder.begin(session);
            } catch (SQLException | RuntimeException e) {
                session.close();
                if (holder == Holder.PREPARED) {
                    // The server may have prepared it before the client saw the error (a connection lost on the reply).
                    rollbackPrepared(server);
                }
                throw e;
            }
            if (holder == Holder.PREPARED) {
                session.close();
            }
            return new Held(holder, session, pid, server);
        }

        Holder holder() {
            return holder;
        }

        int pid() {
            return pid;
        }

        Connection session() {
            return session;
        }

        /** The session's row in {@code pg_stat_activity} now (both null once the session is gone). */
        SessionPin pin() throws SQLException {
            try (Connection connection = server.getConnection(); PreparedStatement select = connection.prepareStatement(
                    "SELECT backend_xmin::text::bigint, backend_xid::text::bigint FROM pg_stat_activity WHERE pid = ?")) {
                select.setInt(1, pid);
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        return new SessionPin(null, null);
                    }
                    return new SessionPin(rows.getObject(1, Long.class), rows.getObject(2, Long.class));
                }
            }
        }

        @Override
        public void close() throws SQLException {
            if (holder == Holder.PREPARED) {
                rollbackPrepared(server);
                return;
            }
            if (!session.isClosed()) {
                try {
                    session.rollback();
                } catch (SQLException terminated) {
                    // The server may have ended the session already (a timeout, a restart): nothing left to roll back.
                }
                session.close();
            }
            // A pooled session stays open with its transaction rolled back; a plain one is gone once the server notices.
            await().atMost(Duration.ofSeconds(10)).until(() -> pin().backendXmin() == null && pin().backendXid() == null);
        }
    }

    /**
     * Rolls back the lab's prepared transactions on {@code server}, retrying on fresh sessions for up
     * to 30 s: right after a restart the pool can still hand out sessions the server ended, and a
     * prepared transaction left behind would pin the lab's database until the server's data is gone.
     */
    private static void rollbackPrepared(DataSource server) {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            try (Connection connection = server.getConnection()) {
                rollbackLeftovers(connection);
                return true;
            }
        });
    }

    /** Waits until nothing holds the horizon in the lab's database, however it was held. */
    static void awaitNoHolder() {
        HorizonMonitor monitor = new HorizonMonitor();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Connection connection = pool().getConnection()) {
                return monitor.holders(connection).stream().noneMatch(h -> NAMESPACE.database().equals(h.database()));
            }
        });
    }

    // ---------------------------------------------------------------- the holder scenarios

    /**
     * One holder scenario: the table's health before and after the workload, and what VACUUM
     * reported right after it, while the holder (if any) still held.
     *
     * @param pin what {@code pg_stat_activity} showed for the holder's session as the workload began
     */
    record HolderRun(String table, TableHealth before, TableHealth after, VacuumReport vacuum, Workload workload, SessionPin pin) {

        double heapGrowth() {
            return ratio(after.heapBytes(), before.heapBytes());
        }

        double pkeyGrowth() {
            return ratio(after.indexBytes(pkey(table)), before.indexBytes(pkey(table)));
        }

        double hotPercent() {
            return after.hotPercent();
        }
    }

    /** A fresh default-layout table of {@link #ROWS} rows for a holder scenario ({@link #create}); its health before anything runs. */
    static TableHealth fresh(String table) throws SQLException {
        create(UpdateLayout.FILLFACTOR_100, table, ROWS);
        return health(table);
    }

    /** Runs the holder workload on {@code table} while {@code held} holds (null: nothing holds), and reads the outcome. */
    static HolderRun workloadRun(String table, TableHealth before, Held held) throws SQLException, InterruptedException {
        SessionPin pin = held == null ? new SessionPin(null, null) : held.pin();
        Workload workload = holderWorkload(table);
        return new HolderRun(table, before, health(table), vacuum(table), workload, pin);
    }

    /** A whole holder scenario on a fresh {@code table}: {@code holder} begun on {@code session}, the workload, the holder ended. */
    static HolderRun holderRun(String table, Holder holder, Connection session) throws SQLException, InterruptedException {
        TableHealth before = fresh(table);
        try (Held held = Held.begin(holder, session)) {
            return workloadRun(table, before, held);
        }
    }

    /** The heap-by-holder chart every holder scenario adds its series to. */
    private static ChartSpec heapChart(LabReport report) {
        return report.line("heap-by-holder.png",
                "Heap size while " + ROWS + " rows are updated " + UPDATES_PER_ROW + " times each, by what holds the horizon",
                "time since the workload started (s)", "heap size (MB)");
    }

    /** The summary table of the holder scenarios, registered with the report on first use. */
    private static synchronized ReportTable holderTable(LabReport report) {
        if (holderTable == null) {
            holderTable = ReportTable.of("Holder scenarios: " + ROWS + " rows, " + UPDATES_PER_ROW + " updates per row at "
                            + (long) UPDATES_PER_SECOND + " updates/s",
                    "scenario", "pg_stat_activity: backend_xmin / backend_xid", "heap before (MB)", "heap after (MB)", "heap growth (x)",
                    "pkey growth (x)",
                    "HOT (%)", "VACUUM removed", "dead, not yet removable");
            report.table(holderTable);
        }
        return holderTable;
    }

    /** Adds a scenario to the chart and the summary table. */
    static void record(LabReport report, String scenario, String shownAs, HolderRun run) {
        heapChart(report).series(scenario, run.workload().seconds(), run.workload().heapMb());
        holderTable(report).row(scenario, shownAs, mb(run.before().heapBytes()), mb(run.after().heapBytes()), run.heapGrowth(),
                run.pkeyGrowth(), run.hotPercent(), run.vacuum().tuplesRemoved(), run.vacuum().deadNotYetRemovable());
    }

    /** How {@code pg_stat_activity} showed the holder's session: {@code backend_xmin / backend_xid}. */
    static String shownAs(SessionPin pin) {
        return (pin.backendXmin() == null ? "NULL" : String.valueOf(pin.backendXmin())) + " / "
                + (pin.backendXid() == null ? "NULL" : String.valueOf(pin.backendXid()));
    }
}
