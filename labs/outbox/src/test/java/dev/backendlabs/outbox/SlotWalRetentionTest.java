package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import dev.backendlabs.shared.sql.Sql;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The hazard nobody sees until the disk fills. A CDC relay is stopped and its slot stays: from then
 * on PostgreSQL keeps every byte of WAL the whole cluster writes — the slot's {@code restart_lsn}
 * does not move — while orders keep coming. Then {@code max_slot_wal_keep_size} (a server setting,
 * set with {@code ALTER SYSTEM} and reset afterwards: the server is shared by the whole run) caps
 * it: once the slot is further behind than the cap, the next checkpoint removes the WAL anyway and
 * invalidates the slot ({@code wal_status = lost}). The disk is safe; the relay is not: a relay
 * started on that slot refuses with {@link SlotInvalidatedException} (Debezium alone would retry for
 * minutes, saying a concurrent transaction blocks it).
 */
@Lab
class SlotWalRetentionTest {

    private static final Duration STOPPED = Duration.ofSeconds(4);
    private static final String CAP = "32MB";
    /** Enough unrelated WAL to pass the cap: 50,000 rows of 1 kB, stored inline and uncompressed (~55 MB of WAL). */
    private static final int FILLER_ROWS = 50_000;

    @Test
    void aStoppedRelaysSlotRetainsWalUntilMaxSlotWalKeepSizeInvalidatesIt(KafkaBackend kafka, LabReport report) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        CdcRelay relay = OutboxFixture.cdcRelay(kafka, topic).build();
        CdcRelay afterInvalidation = OutboxFixture.cdcRelay(kafka, topic).slot(relay.slot()).build();
        OrderService orders = new OrderService(OutboxFixture.dataSource(), OutboxFixture.writer());
        List<double[]> retained = new ArrayList<>();
        ReportTable states = ReportTable.of("A stopped CDC relay's replication slot", "moment", "wal_status", "retained WAL (MB)");
        try {
            relay.start();
            OutboxFixture.eventually(Duration.ofSeconds(30), Duration.ofMillis(100), () -> relay.slotState().orElseThrow().active());
            relay.close();
            OutboxFixture.eventually(Duration.ofSeconds(30), Duration.ofMillis(100), () -> !relay.slotState().orElseThrow().active());
            long restartLsnAtStop = restartLsn(relay.slot());
            CdcRelay.SlotState atStop = relay.slotState().orElseThrow();
            states.row("relay stopped", atStop.walStatus(), mb(atStop.retainedBytes()));

            long start = System.nanoTime();
            long placed;
            try (OutboxFixture.Traffic traffic = new OutboxFixture.Traffic(orders, null)) {
                while (System.nanoTime() - start < STOPPED.toNanos()) {
                    retained.add(new double[] {(System.nanoTime() - start) / 1e9, mb(relay.slotState().orElseThrow().retainedBytes())});
                    Thread.sleep(250);
                }
                placed = traffic.stopWriting();
            }
            CdcRelay.SlotState afterStream = relay.slotState().orElseThrow();
            long restartLsnAfterStream = restartLsn(relay.slot());
            states.row(placed + " orders later", afterStream.walStatus(), mb(afterStream.retainedBytes()));
            report.metric("cdc_retained_wal_mb_during_stop", mb(afterStream.retainedBytes()), "MB",
                    "WAL the stopped CDC relay's slot retained after " + STOPPED.toSeconds() + " s of orders (" + placed
                            + " orders, one writer); it grows for as long as the relay stays down.");
            report.line("retained-wal-while-stopped.png", "WAL retained by a stopped CDC relay's slot while orders keep coming",
                    "time since the relay stopped (s)", "retained WAL (MB)").series("pg_wal_lsn_diff(current, restart_lsn)",
                    retained.stream().mapToDouble(point -> point[0]).toArray(), retained.stream().mapToDouble(point -> point[1]).toArray());

            Sql.execute(OutboxFixture.dataSource(), "ALTER SYSTEM SET max_slot_wal_keep_size = '" + CAP + "'");
            Sql.execute(OutboxFixture.dataSource(), "SELECT pg_reload_conf()");
            Sql.execute(OutboxFixture.dataSource(), "CREATE TABLE wal_filler (id int, pad text STORAGE EXTERNAL)");
            Sql.execute(OutboxFixture.dataSource(), "INSERT INTO wal_filler SELECT g, repeat('x', 1000) FROM generate_series(1, ?) g",
                    FILLER_ROWS);
            CdcRelay.SlotState beyondCap = relay.slotState().orElseThrow();
            states.row("another table wrote ~55 MB, cap " + CAP, beyondCap.walStatus(), mb(beyondCap.retainedBytes()));
            Sql.execute(OutboxFixture.dataSource(), "CHECKPOINT");
            CdcRelay.SlotState afterCheckpoint = relay.slotState().orElseThrow();
            states.row("after the next checkpoint", afterCheckpoint.walStatus(), mb(afterCheckpoint.retainedBytes()));
            report.table(states);


            assertThat(restartLsnAfterStream).as("the stopped slot's restart_lsn did not move: it kept all WAL since the stop")
                    .isEqualTo(restartLsnAtStop);
            assertThat(afterStream.retainedBytes()).as("retained WAL grew under the order stream").isGreaterThan(atStop.retainedBytes());
            assertThat(beyondCap.walStatus()).as("past the cap, before a checkpoint").isEqualTo("unreserved");
            assertThat(afterCheckpoint.walStatus()).as("the checkpoint removed the WAL and invalidated the slot").isEqualTo("lost");
            assertThatThrownBy(afterInvalidation::start).as("a relay started on the invalidated slot")
                    .isInstanceOf(SlotInvalidatedException.class).hasMessageContaining("wal_status = lost");
        } finally {
            Sql.execute(OutboxFixture.dataSource(), "ALTER SYSTEM RESET max_slot_wal_keep_size");
            Sql.execute(OutboxFixture.dataSource(), "SELECT pg_reload_conf()");
            Sql.execute(OutboxFixture.dataSource(), "DROP TABLE IF EXISTS wal_filler");
            afterInvalidation.close();
            OutboxFixture.closeAndDropSlot(relay);
        }
    }

    private static long restartLsn(String slot) throws SQLException {
        return Sql.queryLong(OutboxFixture.dataSource(), "SELECT pg_wal_lsn_diff(restart_lsn, '0/0')::bigint FROM pg_replication_slots"
                + " WHERE slot_name = ?", slot);
    }

    private static double mb(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
