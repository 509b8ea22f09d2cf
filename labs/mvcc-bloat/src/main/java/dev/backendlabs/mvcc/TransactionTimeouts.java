package dev.backendlabs.mvcc;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * THE PATTERN, guardrail: the server ends any transaction that holds the xmin horizon for too long,
 * so the bloat one forgotten transaction can cause is bounded by the update rate times the timeout.
 *
 * <ul>
 *   <li>{@code idle_in_transaction_session_timeout} ends a session that sits idle inside a
 *       transaction (a request that opened one and went to call something else, a console left
 *       open). The server terminates the session: SQLSTATE {@code 25P03}.</li>
 *   <li>{@code transaction_timeout} (PostgreSQL 17) ends a transaction that lasts too long even
 *       though it keeps working (a report that reads in chunks for an hour). SQLSTATE
 *       {@code 25P04}, session terminated. It does not apply to prepared transactions, which only
 *       monitoring catches ({@link HorizonMonitor}).</li>
 * </ul>
 *
 * <p>Where to set them: per role ({@link #alterRoleStatements}), so that every session of the
 * application's role gets them whatever client or pool opens it, while a migration or maintenance
 * role keeps its own; or per pool, through the driver's startup options
 * ({@link #connectionOptions()}), when the service cannot change roles. Not server-wide: a
 * server-wide {@code transaction_timeout} also ends the legitimate long jobs ({@code pg_dump},
 * {@code CREATE INDEX CONCURRENTLY} on a big table).
 *
 * <p>A zero timeout means "not set here": it is left out, and the role's or server's value applies.
 *
 * @param idleInTransaction the longest a session may sit idle inside a transaction, whole milliseconds, or zero
 * @param transaction       the longest a transaction may last, whole milliseconds, or zero
 */
public record TransactionTimeouts(Duration idleInTransaction, Duration transaction) {

    /** PostgreSQL keeps both settings as a 32-bit count of milliseconds. */
    private static final long MAX_MILLIS = Integer.MAX_VALUE;
    private static final int MAX_ROLE_NAME_BYTES = 63;

    /**
     * @throws IllegalArgumentException if a timeout is null, negative, not a whole number of milliseconds or above
     *                                  {@code Integer.MAX_VALUE} ms, or if both are zero (that guards nothing)
     */
    public TransactionTimeouts {
        check("idle in transaction", idleInTransaction);
        check("transaction", transaction);
        if (idleInTransaction.isZero() && transaction.isZero()) {
            throw new IllegalArgumentException("Both timeouts are zero: set at least one, or this guards nothing");
        }
    }

    /** Only {@code idle_in_transaction_session_timeout}. */
    public static TransactionTimeouts idleInTransaction(Duration limit) {
        return new TransactionTimeouts(limit, Duration.ZERO);
    }

    /** Only {@code transaction_timeout} (PostgreSQL 17 and later). */
    public static TransactionTimeouts transaction(Duration limit) {
        return new TransactionTimeouts(Duration.ZERO, limit);
    }

    private static void check(String name, Duration timeout) {
        if (timeout == null) {
            throw new IllegalArgumentException("The " + name + " timeout is null: use Duration.ZERO to leave it unset");
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("The " + name + " timeout is negative: " + timeout);
        }
        if (timeout.toNanosPart() % 1_000_000 != 0) {
            throw new IllegalArgumentException("The " + name + " timeout must be whole milliseconds (PostgreSQL's unit), got " + timeout);
        }
        if (timeout.toMillis() > MAX_MILLIS) {
            throw new IllegalArgumentException("The " + name + " timeout is above PostgreSQL's limit of " + MAX_MILLIS + " ms: " + timeout);
        }
    }

    /**
     * Startup options for the driver — pgjdbc's {@code options} connection property (in HikariCP,
     * {@code dataSourceProperties.options}), libpq's {@code PGOPTIONS}: the server applies them when
     * the session starts, before any statement, e.g.
     * {@code -c idle_in_transaction_session_timeout=30000 -c transaction_timeout=600000}. A server
     * older than 17 refuses the connection when {@code transaction_timeout} is set.
     */
    public String connectionOptions() {
        List<String> options = new ArrayList<>();
        settings().forEach(setting -> options.add("-c " + setting.name() + "=" + setting.millis()));
        return String.join(" ", options);
    }

    /**
     * The statements a DBA runs once so that every new session of {@code role} starts with these
     * timeouts (sessions already open keep theirs), e.g.
     * {@code ALTER ROLE "app" SET idle_in_transaction_session_timeout = '30000ms'}.
     *
     * @throws IllegalArgumentException if {@code role} is null, blank, contains a NUL or is longer than 63 bytes
     */
    public List<String> alterRoleStatements(String role) {
        if (role == null || role.isBlank() || role.indexOf('\0') >= 0
                || role.getBytes(StandardCharsets.UTF_8).length > MAX_ROLE_NAME_BYTES) {
            throw new IllegalArgumentException("Not a role name: '" + role + "' (1 to " + MAX_ROLE_NAME_BYTES + " bytes, no NUL)");
        }
        String quoted = "\"" + role.replace("\"", "\"\"") + "\"";
        return settings().stream().map(setting -> "ALTER ROLE " + quoted + " SET " + setting.name() + " = '" + setting.millis() + "ms'")
                .toList();
    }

    private List<Setting> settings() {
        List<Setting> settings = new ArrayList<>();
        if (!idleInTransaction.isZero()) {
            settings.add(new Setting("idle_in_transaction_session_timeout", idleInTransaction.toMillis()));
        }
        if (!transaction.isZero()) {
            settings.add(new Setting("transaction_timeout", transaction.toMillis()));
        }
        return settings;
    }

    private record Setting(String name, long millis) {
    }
}
