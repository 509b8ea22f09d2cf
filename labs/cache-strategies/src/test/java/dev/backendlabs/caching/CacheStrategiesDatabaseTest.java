package dev.backendlabs.caching;

import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.sql.Sql;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A claim: exact, recorded before it is asserted. Replace it with the lab's first claim. */
@Lab
class CacheStrategiesDatabaseTest {

    @Test
    void testsRunInTheLabsOwnDatabase(LabNamespace namespace, LabReport report) {
        long own = Sql.queryLong(CacheStrategiesFixture.pool(),
                "SELECT count(*) FROM pg_database WHERE datname = current_database() AND datname = ?", namespace.database());

        report.metric("own_database", own, "databases", "The lab's pool is connected to the lab's own database (1) and no other.");
        assertThat(own).isEqualTo(1);
    }
}
