package dev.backendlabs.retry;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;

/** What the lab's test classes share: its namespace on the shared servers and its pool. No test class calls another. */
final class RetryStormsFixture {

    static final LabNamespace NAMESPACE = LabNamespace.current();

    private RetryStormsFixture() {
    }

    // region pool
    static HikariDataSource pool() {
        return Backends.postgres().pool(NAMESPACE);
    }
    // endregion
}
