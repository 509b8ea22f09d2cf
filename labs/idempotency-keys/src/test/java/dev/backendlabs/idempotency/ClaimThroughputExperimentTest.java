package dev.backendlabs.idempotency;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import dev.backendlabs.shared.sql.Sql;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Does a claim slow down as the key table grows? One key table per size, each in its own schema of
 * the lab's database (built from the same {@code idempotency_schema.sql}) and filled with keys of the
 * last 24 hours. Then claims of new random keys arrive at a fixed rate above what the database can
 * commit, at most 16 in flight (the pool a service would give them); arrivals that find 16 in flight
 * are dropped, so the completed rate is the claim capacity at that size, not the offered rate. The
 * sizes take turns, one second each, for several rounds, so that a busy moment of a shared machine
 * falls on every size alike rather than on whichever ran last. Each claim is its own transaction,
 * committed with fsync.
 */
@Lab
class ClaimThroughputExperimentTest {

    private static final double OFFERED = 4_000;
    private static final int IN_FLIGHT = 16;
    private static final Duration SLICE = Duration.ofSeconds(1);

    @Experiment
    void claimsPerSecondAsTheKeyTableGrows(PostgresBackend postgres, Scale scale, LabReport report) throws Exception {
        List<Long> sizes = scale.pick(List.of(100_000L, 1_000_000L), List.of(100_000L, 1_000_000L, 3_000_000L));
        int rounds = scale.pick(3, 10);
        List<KeyTable> tables = new ArrayList<>();
        try {
            for (long size : sizes) {
                tables.add(KeyTable.filled(postgres, size));
            }
            // Settled before measuring: vacuumed (so autovacuum has nothing to start during the run), and the fills' dirty
            // pages written, so that no checkpoint they caused lands in the measurement.
            for (KeyTable table : tables) {
                Sql.execute(table.pool(), "VACUUM ANALYZE idempotency_keys");
            }
            Sql.execute(IdempotencyKeysFixture.dataSource(), "CHECKPOINT");
            for (KeyTable table : tables) {
                claims(table.store(), SLICE);  // unmeasured warm-up
            }
            for (int round = 0; round < rounds; round++) {
                for (KeyTable table : tables) {
                    long[] walBefore = wal();
                    OpenLoopResult slice = claims(table.store(), SLICE);
                    long[] walAfter = wal();
                    table.add(slice, walAfter[0] - walBefore[0], walAfter[1] - walBefore[1]);
                }
            }
            record(report, scale, tables);
        } finally {
            for (KeyTable table : tables) {
                table.close();
            }
        }
    }

    private static void record(LabReport report, Scale scale, List<KeyTable> tables) {
        ReportTable table = ReportTable.of("Claims of new keys by key-table size (" + scale.label() + " scale, offered " + (long) OFFERED
                + "/s, at most " + IN_FLIGHT + " in flight, sizes in turn for " + SLICE.toSeconds() + " s each)", "keys in the table",
                "claims/s", "claims", "dropped arrivals", "WAL per claim (bytes)", "full-page images per claim", "fill time (s)");
        tables.forEach(keys -> table.row(keys.size(), keys.perSecond(), keys.claims(), keys.dropped(), keys.walBytes() / keys.claims(),
                (double) keys.fullPageImages() / keys.claims(), keys.fillSeconds()));
        report.table(table);
        report.bars("claims-by-table-size.png", "Claims of new keys by key-table size", "keys in the table (rows)", "claims (per s)")
                .series("claims/s", tables.stream().map(keys -> String.format(Locale.ROOT, "%,d", keys.size())).toList(),
                        tables.stream().map(KeyTable::perSecond).toList());
        report.metric("claims_per_s", tables.getFirst().perSecond(), "claims/s",
                "Claims of new keys per second with 100,000 keys in the table.");
        report.metric("claims_per_s_at_1m_keys", tables.get(1).perSecond(), "claims/s",
                "Claims of new keys per second with 1,000,000 keys in the table, measured in turns with the 100,000-key table.");
        report.metric("claims_1m_to_100k_ratio", tables.get(1).perSecond() / tables.getFirst().perSecond(), "ratio",
                "claims_per_s_at_1m_keys / claims_per_s: 1 means the table's growth cost nothing.");

        assertThat(tables).allMatch(keys -> keys.claims() > 0);
    }

    /**
     * The server's WAL so far: bytes written and full-page images (a page's first change after a checkpoint is logged
     * whole, 8 KiB, so a claim that dirties a page no claim touched since the checkpoint costs far more WAL).
     */
    private static long[] wal() {
        return new long[] {Sql.queryLong(IdempotencyKeysFixture.dataSource(), "SELECT wal_bytes::bigint FROM pg_stat_wal"),
                Sql.queryLong(IdempotencyKeysFixture.dataSource(), "SELECT wal_fpi FROM pg_stat_wal")};
    }

    private static OpenLoopResult claims(IdempotencyStore store, Duration duration) throws InterruptedException {
        OpenLoopResult run = LoadRunner.atRate(OFFERED).duration(duration).maxConcurrency(IN_FLIGHT).run(sequence -> {
            KeyScope scope = new KeyScope("tenant-" + sequence % 100, "POST", RecoveryPointPayments.ROUTE, UUID.randomUUID().toString());
            if (!(store.claim(scope, Fingerprint.of(scope, IdempotencyKeysFixture.PAYMENT)) instanceof Claim.Owned)) {
                throw new IllegalStateException("A new key was not claimed");
            }
        });
        assertThat(run.errors()).as("failed claims: %s", run.errorsByType()).isZero();
        return run;
    }

    /** A key table of one size, in a schema of its own, with its own pool and store; the measured slices add up here. */
    private static final class KeyTable implements AutoCloseable {

        private final long size;
        private final String schema;
        private final HikariDataSource pool;
        private final IdempotencyStore store;
        private double fillSeconds;
        private long claims;
        private long dropped;
        private double seconds;
        private long walBytes;
        private long fullPageImages;

        private KeyTable(PostgresBackend postgres, long size) {
            this.size = size;
            this.schema = "keys_" + size;
            Sql.execute(IdempotencyKeysFixture.dataSource(), "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            Sql.execute(IdempotencyKeysFixture.dataSource(), "CREATE SCHEMA " + schema);
            this.pool = postgres.dataSource(NAMESPACE, config -> {
                config.setMaximumPoolSize(IN_FLIGHT);
                config.setSchema(schema);
            });
            this.store = new IdempotencyStore(pool, IdempotencyKeysFixture.LEASE, IdempotencyKeysFixture.LOCK_TIMEOUT);
        }

        static KeyTable filled(PostgresBackend postgres, long size) throws Exception {
            KeyTable table = new KeyTable(postgres, size);
            try (Connection connection = table.pool.getConnection()) {
                IdempotencySchema.create(connection);
            }
            long start = System.nanoTime();
            IdempotencyKeysFixture.seedKeys(table.pool, size, Duration.ZERO, Duration.ofHours(24));
            table.fillSeconds = (System.nanoTime() - start) / 1e9;
            return table;
        }

        void add(OpenLoopResult slice, long sliceWalBytes, long sliceFullPageImages) {
            claims += slice.successes();
            dropped += slice.dropped();
            seconds += slice.elapsed().toNanos() / 1e9;
            walBytes += sliceWalBytes;
            fullPageImages += sliceFullPageImages;
        }

        long walBytes() {
            return walBytes;
        }

        long fullPageImages() {
            return fullPageImages;
        }

        long size() {
            return size;
        }

        HikariDataSource pool() {
            return pool;
        }

        IdempotencyStore store() {
            return store;
        }

        double fillSeconds() {
            return fillSeconds;
        }

        long claims() {
            return claims;
        }

        long dropped() {
            return dropped;
        }

        double perSecond() {
            return claims / seconds;
        }

        @Override
        public void close() {
            pool.close();
            Sql.execute(IdempotencyKeysFixture.dataSource(), "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
