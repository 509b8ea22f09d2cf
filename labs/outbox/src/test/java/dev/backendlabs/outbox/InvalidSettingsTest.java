package dev.backendlabs.outbox;

import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.backend.KafkaBackend;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A relay, a backoff or a consumer configured with values that cannot work is refused when it is
 * built, with a message naming the setting — not at the first pass in production. A refused relay
 * never calls its producer factory (the tests' factory would fail them if it did).
 */
@Lab
class InvalidSettingsTest {

    @Test
    void relayWithoutAProducerFactoryIsRefused() throws SQLException {
        assertThatThrownBy(() -> OutboxRelay.builder(OutboxFixture.dataSource(), OutboxFixture.writer()).topic("t").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("producers");
    }

    @Test
    void relayWithABlankTopicIsRefused() {
        assertThatThrownBy(() -> relay().topic(" ").build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("topic");
    }

    @Test
    void relayWithABatchSizeBelowOneIsRefused() {
        assertThatThrownBy(() -> relay().batchSize(0).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batchSize must be >= 1, got 0");
    }

    @Test
    void relayWithANonPositiveAckTimeoutIsRefused() {
        assertThatThrownBy(() -> relay().ackTimeout(Duration.ZERO).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ackTimeout must be positive");
    }

    @Test
    void backoffWithACapBelowItsFirstIntervalIsRefused() {
        assertThatThrownBy(() -> new FullJitterBackoff(Duration.ofSeconds(1), 2.0, Duration.ofMillis(50)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cap");
    }

    @Test
    void consumerWithoutALogicalNameIsRefused(KafkaBackend kafka) {
        try (KafkaConsumer<String, String> consumer = OutboxFixture.consumer(kafka, "unused")) {
            assertThatThrownBy(() -> new InboxConsumer(OutboxFixture.dataSource(), consumer, " "))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logical consumer");
        }
    }

    /** A relay builder whose producer factory would fail the test if a refused relay ever made a producer. */
    private static OutboxRelay.Builder relay() throws SQLException {
        return OutboxRelay.builder(OutboxFixture.dataSource(), OutboxFixture.writer()).topic("t").producers(() -> {
            throw new AssertionError("a refused relay made a producer");
        });
    }
}
