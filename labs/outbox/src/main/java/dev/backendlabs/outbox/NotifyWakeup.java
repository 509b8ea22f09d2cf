package dev.backendlabs.outbox;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wakes an idle polling relay when a writer's transaction commits, instead of at its next poll:
 * the relay {@code LISTEN}s on {@value OutboxWriter#CHANNEL} on a connection of its own, and a
 * {@linkplain OutboxWriter#notifying() notifying writer} sends {@code NOTIFY outbox} in each
 * transaction, which PostgreSQL delivers at commit. The wait is the driver's
 * {@code PGConnection.getNotifications(timeout)}: it returns as soon as a notification arrives, or
 * after the idle poll.
 *
 * <p>Notifications are a hint, never the source of truth: the relay still claims whatever the
 * outbox holds, and the idle poll stays as the fallback. A notification is lost when nobody listens
 * — the relay was between connections, PostgreSQL restarted — so a broken listening connection is
 * closed, the wait falls back to sleeping the idle poll, and the next wait reconnects and listens
 * again. Rows committed meanwhile are found by the next poll.
 *
 * <p>What it costs: one connection per relay held for its lifetime, and on the writer's side one
 * more statement per transaction; PostgreSQL serializes the commits of transactions that sent a
 * notification (they take a global lock to queue it), which matters long before the relay does at
 * very high commit rates.
 */
public final class NotifyWakeup implements RelayRunner.Wakeup {

    private static final Logger LOG = LoggerFactory.getLogger(NotifyWakeup.class);

    private final DataSource dataSource;
    private final LongAdder notifications = new LongAdder();
    private final LongAdder listenFailures = new LongAdder();
    private Connection connection;

    /** @param dataSource where the relay's listening connection comes from (held until {@link #close()}) */
    public NotifyWakeup(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    @Override
    public void await(Duration idlePoll) throws InterruptedException {
        int timeout = (int) Math.clamp(idlePoll.toMillis(), 1, Integer.MAX_VALUE);
        try {
            PGNotification[] received = listening().getNotifications(timeout);
            if (received != null) {
                notifications.add(received.length);
            }
        } catch (SQLException e) {
            listenFailures.increment();
            LOG.warn("notify wake-up: listening failed, polling every {} ms until it listens again: {}", timeout, e.toString());
            close();
            Thread.sleep(timeout);
        }
    }

    private PGConnection listening() throws SQLException {
        if (connection == null) {
            Connection candidate = dataSource.getConnection();
            try (Statement listen = candidate.createStatement()) {
                candidate.setAutoCommit(true); // LISTEN takes effect when its transaction commits
                listen.execute("LISTEN " + OutboxWriter.CHANNEL);
            } catch (SQLException e) {
                candidate.close();
                throw e;
            }
            connection = candidate;
        }
        return connection.unwrap(PGConnection.class);
    }

    /** Notifications received: the wake-ups that cut an idle poll short (several commits may share one wake-up). */
    public long notifications() {
        return notifications.sum();
    }

    /** Waits whose listening connection failed and fell back to sleeping the idle poll. */
    public long listenFailures() {
        return listenFailures.sum();
    }

    /** Closes the listening connection; a later wait opens a new one. */
    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("notify wake-up: closing a broken connection", e);
            } finally {
                connection = null;
            }
        }
    }
}
