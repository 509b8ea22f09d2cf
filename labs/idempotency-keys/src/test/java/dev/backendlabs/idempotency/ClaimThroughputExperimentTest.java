package dev.backendlabs.idempotency;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.junit.Experiment;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.load.OpenLoopResult;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import dev.backendlabs.shared.sql.Sql;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Does a claim slow down as the key table grows? The table is filled to each size (keys of the last
 * 24 hours, random UUIDs, as a day of traffic leaves them), then claims of new random keys arrive at a
 * fixed rate above what the database can commit, at most 16 in flight (the pool a service would give
 * them); arrivals that find 16 in flight are dropped, so the completed rate is the claim capacity at
 * that size, not the offered rate. Each claim is its own transaction, committed with fsync.
 */
@Lab
class ClaimThroughputExperimentTest {

    private static final double OFFERED = 4_000;
    private static final int IN_FLIGHT = 16;

    @Experiment
    void claimsPerSecondAsTheKeyTableGrows(Scale scale, LabReport report) throws Exception {
        List<Long> sizes = scale.pick(List.of(100_000L, 1_000_000L), List.of(100_000L, 300_000L, 1_000_000L, 3_000_000L, 10_000_000L));
        Duration measure = scale.pick(Duration.ofSeconds(3), Duration.ofSeconds(20));
        IdempotencyKeysFixture.truncate();
        IdempotencyStore store = new IdempotencyStore(IdempotencyKeysFixture.dataSource(), IdempotencyKeysFixture.LEASE,
                IdempotencyKeysFixture.LOCK_TIMEOUT);
        ReportTable table = ReportTable.of("Claims of new keys by key-table size (" + scale.label() + " scale, offered " + (long) OFFERED
                + "/s, at most " + IN_FLIGHT + " in flight)", "keys in the table", "claims/s", "p50 service time (ms)",
                "p99 service time (ms)", "dropped arrivals", "fill time (s)", "vacuum and checkpoint (s)");
        List<Double> rates = new ArrayList<>();
        long filled = 0;
        for (long size : sizes) {
            long fillStart = System.nanoTime();
            IdempotencyKeysFixture.seedKeys(size - filled, Duration.ZERO, Duration.ofHours(24));
            double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
            // Settled before measuring: vacuumed (so autovacuum has nothing to start during the run), and the fill's dirty
            // pages written, so that no checkpoint it caused lands in the measurement.
            long settleStart = System.nanoTime();
            Sql.execute(IdempotencyKeysFixture.dataSource(), "VACUUM ANALYZE idempotency_keys");
            Sql.execute(IdempotencyKeysFixture.dataSource(), "CHECKPOINT");
            double settleSeconds = (System.nanoTime() - settleStart) / 1e9;
            filled = size;
            if (rates.isEmpty()) {
                claims(store, Duration.ofSeconds(1));  // unmeasured warm-up
            }
            OpenLoopResult run = claims(store, measure);
            assertThat(run.errors()).as("failed claims: %s", run.errorsByType()).isZero();
            rates.add(run.achievedPerSecond());
            table.row(size, run.achievedPerSecond(), run.serviceTime().p50Ms(), run.serviceTime().p99Ms(), run.dropped(), fillSeconds,
                    settleSeconds);
        }
        report.table(table);
        report.line("claims-by-table-size.png", "Claims of new keys by key-table size", "keys in the table (rows)", "claims (per s)")
                .series("claims/s", sizes.stream().mapToDouble(Long::doubleValue).toArray(),
                        rates.stream().mapToDouble(Double::doubleValue).toArray());
        report.metric("claims_per_s", rates.getFirst(), "claims/s", "Claims of new keys per second with 100,000 keys in the table.");
        report.metric("claims_per_s_at_1m_keys", rates.get(sizes.indexOf(1_000_000L)), "claims/s",
                "Claims of new keys per second with 1,000,000 keys in the table.");

        assertThat(rates).hasSize(sizes.size()).allMatch(rate -> rate > 0);
    }

    private static OpenLoopResult claims(IdempotencyStore store, Duration duration) throws InterruptedException {
        return LoadRunner.atRate(OFFERED).duration(duration).maxConcurrency(IN_FLIGHT).run(sequence -> {
            KeyScope scope = new KeyScope("tenant-" + sequence % 100, "POST", RecoveryPointPayments.ROUTE, UUID.randomUUID().toString());
            if (!(store.claim(scope, Fingerprint.of(scope, IdempotencyKeysFixture.PAYMENT)) instanceof Claim.Owned)) {
                throw new IllegalStateException("A new key was not claimed");
            }
        });
    }
}
