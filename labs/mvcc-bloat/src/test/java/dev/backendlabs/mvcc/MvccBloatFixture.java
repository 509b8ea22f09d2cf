package dev.backendlabs.mvcc;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;

/** What the lab's test classes share: its namespace on the shared servers and its pool. No test class calls another. */
final class MvccBloatFixture {

    static final LabNamespace NAMESPACE = LabNamespace.current();

    private MvccBloatFixture() {
    }

    // region pool
    static HikariDataSource pool() {
        return Backends.postgres().pool(NAMESPACE);
    }
    // endregion
}
