package dev.backendlabs.outbox;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Sends a batch of outbox events to Kafka and waits for every ack against one deadline: the one
 * place where an event becomes a Kafka record, so that every relay — polling or log-based — gives
 * consumers the same topic, key (the aggregate id) and headers ({@code event_id},
 * {@code event_type}).
 *
 * <h2>Why the publisher makes its own producer, and throws it away on a timeout</h2>
 * It gets a producer factory, not a producer. {@code producer.flush()} has no timeout and waits for
 * every record in the producer, including other relays' records if the producer were shared; a
 * record the broker does not take stays pending for {@code delivery.timeout.ms}. So it never
 * flushes: it waits on the batch's own futures until one deadline, {@code ackTimeout} after the
 * first send. When the deadline passes, the producer still holds the batch and would go on sending
 * it, so it is closed at once ({@code close(Duration.ZERO)} fails whatever is still queued) and the
 * next batch starts with a fresh producer from the factory. A batch therefore takes at most
 * {@code ackTimeout} plus one {@code max.block.ms} (a {@code send()} can block that long for
 * metadata or buffer space): keep {@code max.block.ms} below {@code ackTimeout}.
 *
 * <p>Because nothing flushes, configure the producer with {@code linger.ms=0}: the whole batch is
 * sent at once and then waited for, so lingering would only delay the acks (Kafka 4 defaults to
 * 5 ms). Used from one thread at a time.
 */
final class EventPublisher implements AutoCloseable {

    private final Supplier<? extends Producer<String, String>> producers;
    private final String topic;
    private final Duration ackTimeout;
    private Producer<String, String> producer;

    /**
     * @throws IllegalArgumentException for a blank topic or a non-positive ack timeout
     */
    EventPublisher(Supplier<? extends Producer<String, String>> producers, String topic, Duration ackTimeout) {
        if (ackTimeout == null || ackTimeout.isNegative() || ackTimeout.isZero()) {
            throw new IllegalArgumentException("relay: ackTimeout must be positive, got " + ackTimeout);
        }
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("relay: topic must not be blank, got '" + topic + "'");
        }
        this.producers = Objects.requireNonNull(producers, "producers");
        this.topic = topic;
        this.ackTimeout = ackTimeout;
    }

    String topic() {
        return topic;
    }

    /**
     * Sends every event and waits for every ack until one deadline; on a timeout the producer is replaced.
     *
     * @throws RelayException if Kafka did not acknowledge the whole batch in time, or refused part of it
     */
    void publish(List<PendingEvent> events) throws InterruptedException {
        long deadline = System.nanoTime() + ackTimeout.toNanos();
        Producer<String, String> current = producer();
        List<Future<RecordMetadata>> acks = new ArrayList<>(events.size());
        try {
            for (PendingEvent event : events) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new TimeoutException("sent " + acks.size() + " of " + events.size() + " records before the deadline");
                }
                Future<RecordMetadata> ack = current.send(record(event));
                if (ack.isDone()) {
                    ack.get(); // failed already (no metadata within max.block.ms): the batch has failed, stop sending it
                }
                acks.add(ack);
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (TimeoutException e) {
            discardProducer();
            throw new RelayException("Kafka did not acknowledge " + events.size() + " events within " + ackTimeout
                    + "; they stay unpublished and the producer was replaced", e);
        } catch (ExecutionException e) {
            throw new RelayException("Kafka refused the batch; it stays unpublished", e.getCause());
        }
    }

    private Producer<String, String> producer() {
        if (producer == null) {
            producer = Objects.requireNonNull(producers.get(), "the producer factory returned null");
        }
        return producer;
    }

    /** Closes the producer without waiting: whatever it still queues fails, and nothing of it is sent later. */
    private void discardProducer() {
        Producer<String, String> discarded = producer;
        producer = null;
        discarded.close(Duration.ZERO);
    }

    private ProducerRecord<String, String> record(PendingEvent event) {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, event.aggregateId(), event.payload());
        record.headers().add("event_id", event.eventId().toString().getBytes(StandardCharsets.UTF_8));
        record.headers().add("event_type", event.eventType().getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /** Closes the producer, waiting up to the ack timeout for what it still sends; a batch in progress must have ended. */
    @Override
    public void close() {
        if (producer != null) {
            producer.close(ackTimeout);
            producer = null;
        }
    }
}
