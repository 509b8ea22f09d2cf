package dev.backendlabs.mvcc;

import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link VacuumReport} reads the three wordings PostgreSQL has used for "what VACUUM could not
 * remove", so that a monitoring parser survives an upgrade across 15. The samples are the
 * server's own text: PostgreSQL 17.6's VACUUM (VERBOSE) from this lab, and the 14-and-earlier
 * forms as published examples print them.
 */
@Lab
class VacuumReportParsingTest {

    private static final String POSTGRES_17_VERBOSE = """
            vacuuming "mvcc_bloat.public.pin"
            finished vacuuming "mvcc_bloat.public.pin": index scans: 0
            pages: 0 removed, 1144 remain, 1144 scanned (100.00% of total)
            tuples: 0 removed, 80000 remain, 60000 are dead but not yet removable
            removable cutoff: 1946, which was 1200 XIDs old when operation ended
            frozen: 0 pages from table (0.00% of total) had 0 tuples frozen
            vacuuming "mvcc_bloat.pg_toast.pg_toast_16403"
            finished vacuuming "mvcc_bloat.pg_toast.pg_toast_16403": index scans: 0
            tuples: 0 removed, 0 remain, 0 are dead but not yet removable
            removable cutoff: 1946, which was 1200 XIDs old when operation ended""";

    private static final String POSTGRES_14_VERBOSE = """
            vacuuming "public.test_mvcc"
            "test_mvcc": found 0 removable, 90055 nonremovable row versions in 1024 out of 1137 pages
            89999 dead row versions cannot be removed yet, oldest xmin: 380382
            There were 0 unused item identifiers.""";

    private static final String POSTGRES_14_AUTOVACUUM_LOG = """
            automatic vacuum of table "postgres.public.testtbl": index scans: 0
            \tpages: 1276 removed, 0 remain, 0 skipped due to pins, 0 skipped frozen
            \ttuples: 100000 removed, 0 remain, 0 are dead but not yet removable, oldest xmin: 579""";

    @Test
    void readsPostgres15AndLaterVacuumVerboseForTheFirstTable() {
        VacuumReport report = VacuumReport.parse(POSTGRES_17_VERBOSE);

        assertThat(report.tuplesRemoved()).isZero();
        assertThat(report.tuplesRemaining()).isEqualTo(80_000);
        assertThat(report.deadNotYetRemovable()).isEqualTo(60_000);
        assertThat(report.removableCutoff()).isEqualTo(1946);
        assertThat(report.cutoffAgeXids()).hasValue(1200);
    }

    @Test
    void readsPostgres14VacuumVerbose() {
        VacuumReport report = VacuumReport.parse(POSTGRES_14_VERBOSE);

        assertThat(report.tuplesRemoved()).isZero();
        assertThat(report.tuplesRemaining()).isEqualTo(90_055);
        assertThat(report.deadNotYetRemovable()).isEqualTo(89_999);
        assertThat(report.removableCutoff()).isEqualTo(380_382);
        assertThat(report.cutoffAgeXids()).isEmpty();
    }

    @Test
    void readsThePostgres14AutovacuumLog() {
        VacuumReport report = VacuumReport.parse(POSTGRES_14_AUTOVACUUM_LOG);

        assertThat(report.tuplesRemoved()).isEqualTo(100_000);
        assertThat(report.deadNotYetRemovable()).isZero();
        assertThat(report.removableCutoff()).isEqualTo(579);
    }

    @Test
    void refusesTextThatIsNoVacuumReport() {
        assertThatThrownBy(() -> VacuumReport.parse("VACUUM")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Not a VACUUM report");
        assertThatThrownBy(() -> VacuumReport.parse(null)).isInstanceOf(IllegalArgumentException.class);
        // A tuples line without its horizon is half a report: refused rather than read with a made-up cutoff.
        assertThatThrownBy(() -> VacuumReport.parse("tuples: 0 removed, 1 remain, 0 are dead but not yet removable"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
