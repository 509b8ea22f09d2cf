package dev.backendlabs.outbox;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * NAIVE: the dual write — the order in PostgreSQL, the event to Kafka, one after the other, with
 * no transaction spanning both. Both orders of the two writes are here, because both are written.
 *
 * <ul>
 *   <li>{@link #commitThenPublish}: if Kafka is down (or the process dies) after the commit, the
 *       order exists and its event never will — a <b>lost</b> event.</li>
 *   <li>{@link #publishThenCommit}: if the transaction fails after the send (a constraint, a
 *       deadlock, a crash), consumers act on an order that does not exist — a <b>phantom</b> event.</li>
 * </ul>
 */
public final class DualWritePublisher {

    /** Something that can fail between the two writes: the test's stand-in for a crash. */
    @FunctionalInterface
    public interface Step {
        void run() throws SQLException;
    }

    private final DataSource dataSource;
    private final Producer<String, String> producer;
    private final String topic;
    private final Duration sendTimeout;

    public DualWritePublisher(DataSource dataSource, Producer<String, String> producer, String topic, Duration sendTimeout) {
        this.dataSource = dataSource;
        this.producer = producer;
        this.topic = topic;
        this.sendTimeout = sendTimeout;
    }

    /** Commits the order, then sends its event. */
    public void commitThenPublish(Order order) throws SQLException, InterruptedException, ExecutionException, TimeoutException {
        try (Connection connection = dataSource.getConnection()) {
            OrderService.insertOrder(connection, order);
        }
        send(order);
    }

    /** Sends the event, then commits the order; {@code beforeCommit} runs between the two. */
    public void publishThenCommit(Order order, Step beforeCommit)
            throws SQLException, InterruptedException, ExecutionException, TimeoutException {
        send(order);
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                OrderService.insertOrder(connection, order);
                beforeCommit.run();
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    private void send(Order order) throws InterruptedException, ExecutionException, TimeoutException {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, order.id().toString(), OrderService.payload(order));
        record.headers().add("event_type", OrderService.ORDER_PLACED.getBytes(StandardCharsets.UTF_8));
        producer.send(record).get(sendTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
