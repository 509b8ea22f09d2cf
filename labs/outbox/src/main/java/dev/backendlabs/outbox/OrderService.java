package dev.backendlabs.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;

/**
 * THE PATTERN, write side: placing an order writes the {@code orders} row and its
 * {@code OrderPlaced} event to the outbox in one transaction. Either both exist or neither; Kafka
 * is not involved, so its availability cannot fail or split the write. The relay publishes later.
 */
public final class OrderService {

    static final String AGGREGATE_TYPE = "order";
    static final String ORDER_PLACED = "OrderPlaced";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final OutboxWriter outbox;

    public OrderService(DataSource dataSource, OutboxWriter outbox) {
        this.dataSource = dataSource;
        this.outbox = outbox;
    }

    /**
     * Commits the order and its event together.
     *
     * @throws InvalidEventException if the event cannot be published (nothing is written)
     */
    public void place(Order order) throws SQLException {
        OutboxEvent event = OutboxEvent.of(AGGREGATE_TYPE, order.id() == null ? null : order.id().toString(), ORDER_PLACED, payload(order));
        outbox.validate(event); // before the transaction starts: a bad event costs no round trip
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                insertOrder(connection, order);
                outbox.append(connection, event);
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    static void insertOrder(Connection connection, Order order) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO orders (id, customer_id, amount_cents) VALUES (?, ?, ?)")) {
            insert.setObject(1, order.id());
            insert.setString(2, order.customerId());
            insert.setLong(3, order.amountCents());
            insert.executeUpdate();
        }
    }

    static String payload(Order order) {
        try {
            return JSON.writeValueAsString(Map.of("orderId", String.valueOf(order.id()), "customerId", order.customerId(),
                    "amountCents", order.amountCents()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("An order always serializes", e);
        }
    }
}
