package dev.backendlabs.outbox;

import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An event that cannot be published is refused before the transaction commits, with a clear
 * error, and the business row goes with it: nothing is half-written.
 */
@Lab
class InvalidEventTest {

    private final OrderService orders = new OrderService(dataSource(), OutboxFixture.writer());

    @BeforeEach
    void emptyTables() throws SQLException {
        try (Connection connection = OutboxFixture.dataSource().getConnection()) {
            OutboxSchema.truncate(connection);
        }
    }

    @Test
    void eventWithoutAggregateIdIsRefusedAndTheOrderIsNotWritten() throws SQLException {
        assertThatThrownBy(() -> orders.place(new Order(null, "customer-1", 500)))
                .isInstanceOf(InvalidEventException.class).hasMessageContaining("no aggregate id");
        assertNothingWritten();
    }

    @Test
    void payloadOverTheLimitIsRefusedAndTheOrderIsNotWritten() throws SQLException {
        String huge = "x".repeat(OutboxFixture.MAX_PAYLOAD);
        assertThatThrownBy(() -> orders.place(new Order(UUID.randomUUID(), huge, 500)))
                .isInstanceOf(InvalidEventException.class).hasMessageContaining("the limit is " + OutboxFixture.MAX_PAYLOAD);
        assertNothingWritten();
    }

    @Test
    void theOrderAndItsEventCommitTogether() throws SQLException {
        orders.place(Order.create("customer-2", 750));
        assertThat(OutboxFixture.count("SELECT count(*) FROM orders")).isEqualTo(1);
        assertThat(OutboxFixture.count("SELECT count(*) FROM outbox WHERE event_type = 'OrderPlaced'")).isEqualTo(1);
    }

    @Test
    void writingTheOutboxOutsideATransactionIsRefused() throws SQLException {
        try (Connection connection = OutboxFixture.dataSource().getConnection()) {
            connection.setAutoCommit(true);
            assertThatThrownBy(() -> OutboxFixture.writer().append(connection, OutboxEvent.of("order", "a-1", "OrderPlaced", "{}")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("auto-commit");
        }
        assertNothingWritten();
    }

    private static void assertNothingWritten() throws SQLException {
        assertThat(OutboxFixture.count("SELECT count(*) FROM orders")).isZero();
        assertThat(OutboxFixture.count("SELECT count(*) FROM outbox")).isZero();
    }

    private static javax.sql.DataSource dataSource() {
        try {
            return OutboxFixture.dataSource();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
