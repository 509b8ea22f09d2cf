package dev.backendlabs.idempotency;

import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LatencyRecorder;
import dev.backendlabs.shared.load.LatencySummary;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import dev.backendlabs.shared.sql.Sql;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The reaper deletes keys past their retention in batches, without blocking the claims of new keys:
 * inside every batch — its rows deleted and locked, its transaction open — a new key is claimed on
 * another connection, with a lock timeout, so a claim that had to wait for the reaper would fail.
 */
@Lab
class ExpiredKeyReaperTest {

    private static final Duration RETENTION = Duration.ofHours(24);
    private static final int EXPIRED = 5_500;
    private static final int FRESH = 100;
    private static final int BATCH = 1_000;

    @BeforeEach
    void emptyTables() {
        IdempotencyKeysFixture.truncate();
    }

    @Test
    void theReaperDeletesExpiredKeysInBatchesWhileNewKeysAreClaimedInsideEachBatch(LabReport report) throws Exception {
        IdempotencyKeysFixture.seedKeys(EXPIRED, RETENTION.plusHours(1), Duration.ofHours(1));
        IdempotencyKeysFixture.seedKeys(FRESH, Duration.ZERO, Duration.ofHours(1));
        Sql.execute(IdempotencyKeysFixture.dataSource(), "INSERT INTO payments (tenant, amount, currency, destination, provider_charge_id,"
                + " idempotency_key_id) SELECT tenant, 100, 'EUR', 'acct_1', 'ch_old', id FROM idempotency_keys"
                + " ORDER BY created_at LIMIT 1");
        IdempotencyStore store = new IdempotencyStore(IdempotencyKeysFixture.dataSource(), IdempotencyKeysFixture.LEASE,
                Duration.ofMillis(500));
        List<Integer> batches = new ArrayList<>();
        List<Claim> claims = new ArrayList<>();
        LatencyRecorder claimLatency = new LatencyRecorder();
        KeyReaper reaper = new KeyReaper(IdempotencyKeysFixture.dataSource(), RETENTION, BATCH, deleted -> {
            batches.add(deleted);
            long start = System.nanoTime();
            claims.add(claimNewKey(store));
            claimLatency.recordSince(start);
        });

        long reaped = reaper.reapAll();

        LatencySummary latency = claimLatency.summary();
        report.table(ReportTable.of("Reaping " + EXPIRED + " expired keys in batches of " + BATCH, "batches", "keys deleted",
                "claims inside an open batch", "claim p50 (ms)", "claim max (ms)")
                .row(batches.size(), reaped, claims.size(), latency.p50Ms(), latency.maxMs()));
        assertThat(reaped).isEqualTo(EXPIRED);
        assertThat(batches).containsExactly(BATCH, BATCH, BATCH, BATCH, BATCH, EXPIRED % BATCH);
        assertThat(claims).as("a new key claimed inside every open batch").hasSize(batches.size())
                .allMatch(claim -> claim instanceof Claim.Owned);
        assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM idempotency_keys WHERE created_at < clock_timestamp() - ?::interval",
                "24 hours"))
                .as("expired keys left").isZero();
        assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM idempotency_keys")).as("fresh keys and the claims")
                .isEqualTo(FRESH + claims.size());
        assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payments WHERE idempotency_key_id IS NULL"))
                .as("the payment outlives its key").isEqualTo(1);
    }

    @Test
    void theReaperSkipsKeysUnderLeaseOrLockedByAnotherTransactionInsteadOfWaiting() throws Exception {
        IdempotencyKeysFixture.seedKeys(10, RETENTION.plusHours(1), Duration.ofHours(1));
        Sql.execute(IdempotencyKeysFixture.dataSource(), "UPDATE idempotency_keys SET locked_until = clock_timestamp() + interval '1 min'"
                + " WHERE id = (SELECT min(id) FROM idempotency_keys)");
        KeyReaper reaper = new KeyReaper(IdempotencyKeysFixture.dataSource(), RETENTION, BATCH, KeyReaper.BatchHook.NONE);
        try (Connection holder = IdempotencyKeysFixture.dataSource().getConnection(); Statement lock = holder.createStatement()) {
            holder.setAutoCommit(false);
            lock.execute("SELECT id FROM idempotency_keys WHERE id = (SELECT max(id) FROM idempotency_keys) FOR UPDATE");

            long reaped = assertTimeoutPreemptively(Duration.ofSeconds(10), reaper::reapAll, "the reaper waited for a row lock");

            assertThat(reaped).as("all but the leased and the locked key").isEqualTo(8);
            holder.commit();
        }
        assertThat(reaper.reapAll()).as("the formerly locked key, on the next pass").isEqualTo(1);
        assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM idempotency_keys")).as("the leased key").isEqualTo(1);
    }

    @Test
    void aRetentionUnder24HoursOrABatchOver1000IsRefused() {
        assertThatThrownBy(() -> new KeyReaper(IdempotencyKeysFixture.dataSource(), Duration.ofHours(23), BATCH, KeyReaper.BatchHook.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("24 h");
        assertThatThrownBy(() -> new KeyReaper(IdempotencyKeysFixture.dataSource(), RETENTION, KeyReaper.MAX_BATCH + 1,
                KeyReaper.BatchHook.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch size");
    }

    private static Claim claimNewKey(IdempotencyStore store) {
        KeyScope scope = new KeyScope("tenant-new", RecoveryPointPayments.METHOD, RecoveryPointPayments.ROUTE,
                UUID.randomUUID().toString());
        try {
            return store.claim(scope, Fingerprint.of(scope, "{}"));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
