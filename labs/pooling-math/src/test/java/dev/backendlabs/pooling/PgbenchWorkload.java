package dev.backendlabs.pooling;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The workload of the pool experiments and benchmarks: pgbench's built-in TPC-B-like transaction
 * (update an account, read it back, update its teller and branch, append to the history) on tables
 * {@code pgbench_schema.sql} creates, as the function {@code pgbench_tpcb} defined there. Mixed reads and writes, row
 * locks on the branches (the hot rows) and a WAL record per commit.
 */
public final class PgbenchWorkload {

    static final String TRANSACTION = "SELECT pgbench_tpcb(?, ?, ?, ?)";

    private static final int TELLERS_PER_BRANCH = 10;
    private static final int ACCOUNTS_PER_BRANCH = 10_000;

    private final int branches;

    private PgbenchWorkload(int branches) {
        this.branches = branches;
    }

    /** Recreates and loads the tables with {@code branches} branches (pgbench's scale). */
    public static PgbenchWorkload load(DataSource dataSource, int branches) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(true);
            for (String sql : statements()) {
                try (PreparedStatement statement = connection.prepareStatement(sql)) {
                    if (sql.contains("?")) {
                        statement.setInt(1, branches);
                    }
                    statement.execute();
                }
            }
            connection.setAutoCommit(autoCommit);
        }
        return new PgbenchWorkload(branches);
    }

    /**
     * One transaction on {@code connection}: random account, teller, branch and delta from
     * {@code random}, as pgbench draws them. In auto-commit mode the function call is the
     * transaction (one round trip); otherwise it is followed by a commit. Returns the account's
     * new balance.
     */
    public int transaction(Connection connection, SplittableRandom random) throws SQLException {
        int aid = 1 + random.nextInt(branches * ACCOUNTS_PER_BRANCH);
        int tid = 1 + random.nextInt(branches * TELLERS_PER_BRANCH);
        int bid = 1 + random.nextInt(branches);
        int delta = random.nextInt(-5_000, 5_001);
        boolean autoCommit = connection.getAutoCommit();
        try (PreparedStatement call = connection.prepareStatement(TRANSACTION)) {
            call.setInt(1, aid);
            call.setInt(2, tid);
            call.setInt(3, bid);
            call.setInt(4, delta);
            int balance;
            try (ResultSet rows = call.executeQuery()) {
                rows.next();
                balance = rows.getInt(1);
            }
            if (!autoCommit) {
                connection.commit();
            }
            return balance;
        } catch (SQLException | RuntimeException e) {
            if (!autoCommit) {
                connection.rollback();
            }
            throw e;
        }
    }

    /** Borrows a connection from {@code dataSource}, runs one transaction, gives it back. */
    public int transaction(DataSource dataSource, SplittableRandom random) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return transaction(connection, random);
        }
    }

    private static List<String> statements() {
        try (InputStream in = PgbenchWorkload.class.getClassLoader().getResourceAsStream("pgbench_schema.sql")) {
            if (in == null) {
                throw new IllegalStateException("pgbench_schema.sql is not on the class path");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)^--.*$", "");
            return Arrays.stream(text.split("\\n\\s*\\n")).map(String::strip).filter(sql -> !sql.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
