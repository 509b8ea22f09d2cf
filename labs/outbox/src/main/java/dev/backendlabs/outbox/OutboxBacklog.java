package dev.backendlabs.outbox;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The two numbers to alert on: how many events wait in the outbox, and how long the oldest has
 * waited. A backlog that grows while the oldest age climbs means the relay is down or too slow;
 * the age is what consumers experience as delay.
 */
public record OutboxBacklog(long events, Duration oldestAge) {

    public static OutboxBacklog of(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)"
                     + " FROM outbox")) {
            row.next();
            return new OutboxBacklog(row.getLong(1), Duration.ofMillis(Math.round(row.getDouble(2) * 1000)));
        }
    }
}
