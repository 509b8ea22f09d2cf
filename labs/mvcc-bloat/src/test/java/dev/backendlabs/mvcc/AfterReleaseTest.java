package dev.backendlabs.mvcc;

import dev.backendlabs.mvcc.MvccBloatFixture.Held;
import dev.backendlabs.mvcc.MvccBloatFixture.Holder;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import dev.backendlabs.shared.sql.Sql;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * After the holder is gone: plain VACUUM removes every dead version and keeps them as free space
 * for the table's next updates, but the file stays the size the pin made it; only VACUUM FULL
 * gives the space back, by rewriting the table under an ACCESS EXCLUSIVE lock that stops readers.
 * Each test bloats its own table the way {@code PinnedHorizonTest} does.
 */
@Lab
class AfterReleaseTest {

    @Test
    void vacuumAfterTheReleaseMakesTheSpaceReusableButKeepsTheFile(LabReport report) throws Exception {
        String table = "released";
        TableHealth baseline = bloat(table);
        TableHealth bloated = MvccBloatFixture.health(table);
        VacuumReport vacuum = MvccBloatFixture.vacuum(table);
        TableHealth vacuumed = MvccBloatFixture.health(table);
        MvccBloatFixture.holderWorkload(table);
        TableHealth rerun = MvccBloatFixture.health(table);

        double kept = MvccBloatFixture.ratio(vacuumed.heapBytes(), bloated.heapBytes());
        double reuse = MvccBloatFixture.ratio(rerun.heapBytes(), vacuumed.heapBytes());
        report.metric("vacuum_size_ratio_after_release", kept, "x",
                "Heap after / before a plain VACUUM of the bloated table once the holder had ended: the file keeps its size.");
        report.metric("rerun_growth_ratio_after_vacuum", reuse, "x",
                "Heap after / before running the same workload again on the vacuumed table: it fills the freed space.");
        report.table(ReportTable.of("After the release: plain VACUUM, then the same workload again", "step", "heap (MB)",
                        "dead tuples (pgstattuple)", "free space (%)", "HOT (% of the step's updates)")
                .row("before the workload", MvccBloatFixture.mb(baseline.heapBytes()), baseline.deadTuples(), baseline.freePercent(), "-")
                .row("pinned workload, holder ended", MvccBloatFixture.mb(bloated.heapBytes()), bloated.deadTuples(), bloated.freePercent(),
                        bloated.hotPercent())
                .row("VACUUM", MvccBloatFixture.mb(vacuumed.heapBytes()), vacuumed.deadTuples(), vacuumed.freePercent(), "-")
                .row("same workload again", MvccBloatFixture.mb(rerun.heapBytes()), rerun.deadTuples(), rerun.freePercent(),
                        rerun.hotPercentSince(vacuumed)));

        assertThat(vacuum.deadNotYetRemovable()).isZero();
        assertThat(vacuumed.deadTuples()).as("dead tuples left after VACUUM").isZero();
        // The file keeps its size: VACUUM only truncates empty pages at the end, and the pin's newest versions live there.
        assertThat(kept).isBetween(0.99, 1.01);
        // Measured 1.00 (quick scale): the second run's new versions go into the freed space.
        assertThat(reuse).isLessThanOrEqualTo(1.05);
    }

    @Test
    void vacuumFullShrinksTheFileToTheBaselineAndLocksReadersOutMeanwhile(PostgresBackend postgres, LabReport report) throws Exception {
        String table = "rewritten";
        String database = MvccBloatFixture.NAMESPACE.database();
        TableHealth baseline = bloat(table);
        long rewriteMillis;
        SQLException reader;
        try (Connection longReader = postgres.connect(database); Connection vacuumer = postgres.connect(database);
             Connection shortReader = postgres.connect(database)) {
            // A report that read the table and has not committed yet: it holds ACCESS SHARE, which VACUUM FULL must wait for.
            longReader.setAutoCommit(false);
            count(longReader, table);
            FutureTask<Boolean> full = queued(vacuumer, "VACUUM FULL " + table, "AccessExclusiveLock");
            reader = readWithLockTimeout(shortReader, table);
            long released = System.nanoTime();
            longReader.commit();
            full.get(60, TimeUnit.SECONDS);
            rewriteMillis = (System.nanoTime() - released) / 1_000_000;
        }
        TableHealth rewritten = MvccBloatFixture.health(table);

        double shrunk = MvccBloatFixture.ratio(rewritten.heapBytes(), baseline.heapBytes());
        report.metric("vacuum_full_size_ratio", shrunk, "x", "Heap after VACUUM FULL / heap before the pinned workload.");
        report.table(ReportTable.of("VACUUM FULL of the bloated table while a report holds ACCESS SHARE", "what", "value")
                .row("a reader with lock_timeout = 100ms", reader == null ? "not blocked"
                        : reader.getSQLState() + ": " + reader.getMessage().lines().findFirst().orElse(""))
                .row("VACUUM FULL, from the report's commit to its end (ms)", rewriteMillis)
                .row("heap before the workload (MB)", MvccBloatFixture.mb(baseline.heapBytes()))
                .row("heap after VACUUM FULL (MB)", MvccBloatFixture.mb(rewritten.heapBytes())));

        assertThat((Object) reader).as("a plain SELECT queued behind VACUUM FULL's lock request").isNotNull();
        assertThat(reader.getSQLState()).as("lock_not_available").isEqualTo("55P03");
        assertThat(rewritten.deadTuples()).isZero();
        assertThat(shrunk).isLessThanOrEqualTo(1.05);
    }

    @Test
    void plainVacuumQueuedTheSameWayLetsReadersThrough(PostgresBackend postgres) throws Exception {
        String table = "vacuumed_online";
        String database = MvccBloatFixture.NAMESPACE.database();
        MvccBloatFixture.fresh(table);
        SQLException reader;
        try (Connection holder = postgres.connect(database); Connection vacuumer = postgres.connect(database);
             Connection shortReader = postgres.connect(database)) {
            // What plain VACUUM waits for (another VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY): it queues where VACUUM FULL did.
            holder.setAutoCommit(false);
            try (Statement sql = holder.createStatement()) {
                sql.execute("LOCK TABLE " + table + " IN SHARE UPDATE EXCLUSIVE MODE");
            }
            FutureTask<Boolean> vacuum = queued(vacuumer, "VACUUM " + table, "ShareUpdateExclusiveLock");
            reader = readWithLockTimeout(shortReader, table);
            holder.commit();
            vacuum.get(60, TimeUnit.SECONDS);
        }
        assertThat((Object) reader).as("a plain SELECT with lock_timeout = 100ms, queued behind plain VACUUM's lock request").isNull();
    }

    /** Starts {@code vacuum} on {@code vacuumer} and returns once the server shows it waiting for {@code mode} on the table. */
    private static FutureTask<Boolean> queued(Connection vacuumer, String vacuum, String mode) throws SQLException {
        int vacuumerPid = pid(vacuumer);
        FutureTask<Boolean> task = new FutureTask<>(() -> {
            try (Statement sql = vacuumer.createStatement()) {
                return sql.execute(vacuum);
            }
        });
        Thread.ofVirtual().start(task);
        await().atMost(Duration.ofSeconds(10)).until(() -> Sql.queryLong(MvccBloatFixture.pool(),
                "SELECT count(*) FROM pg_locks WHERE pid = ? AND mode = ? AND NOT granted", vacuumerPid, mode) == 1);
        return task;
    }

    /** A plain SELECT of {@code table} with a lock timeout: the error it got, or null if it read. */
    private static SQLException readWithLockTimeout(Connection reader, String table) throws SQLException {
        // region lock-timeout
        try (Statement sql = reader.createStatement()) {
            sql.execute("SET lock_timeout = '100ms'");
            return catchThrowableOfType(SQLException.class, () -> count(reader, table));
        }
        // endregion
    }

    /** A fresh table, bloated by the workload under an idle REPEATABLE READ transaction that has ended since; its health before. */
    private static TableHealth bloat(String table) throws Exception {
        TableHealth baseline = MvccBloatFixture.fresh(table);
        try (Held held = Held.begin(Holder.REPEATABLE_READ_READ, MvccBloatFixture.session())) {
            MvccBloatFixture.holderWorkload(table);
            assertThat(held.pin().backendXmin()).isNotNull();
        }
        return baseline;
    }

    private static long count(Connection connection, String table) throws SQLException {
        try (Statement sql = connection.createStatement(); ResultSet rows = sql.executeQuery("SELECT count(*) FROM " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static int pid(Connection connection) throws SQLException {
        try (Statement sql = connection.createStatement(); ResultSet rows = sql.executeQuery("SELECT pg_backend_pid()")) {
            rows.next();
            return rows.getInt(1);
        }
    }
}
