package dev.backendlabs.outbox;

import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.backend.KafkaBackend;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A relay, a backoff or a consumer configured with values that cannot work is refused when it is
 * built, with a message naming the setting — not at the first pass in production. A refused relay
 * never calls its producer factory (the tests' factory would fail them if it did), and a refused CDC
 * relay creates nothing: no offset directory (and {@code build()} never touches the database).
 */
@Lab
class InvalidSettingsTest {

    /** One character over PostgreSQL's NAMEDATALEN - 1. */
    private static final String SLOT_OF_64_CHARACTERS = "slot_of_64_characters_" + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

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

    @Test
    void cdcRelayWithoutAConnectionOrAProducerFactoryIsRefused() throws SQLException {
        assertThatThrownBy(() -> CdcRelay.builder(OutboxFixture.dataSource()).producers(refusedProducer()).topic("t").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("connection(host, port, database, user, password)");
        assertThatThrownBy(() -> cdcRelay().connection(" ", 5432, "db", "relay", "").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("connection(");
        assertThatThrownBy(() -> CdcRelay.builder(OutboxFixture.dataSource()).connection("localhost", 5432, "db", "relay", "").topic("t")
                .build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("producers");
    }

    @Test
    void cdcRelayWithAPortOutsideTheTcpRangeIsRefused() throws SQLException {
        assertThatThrownBy(() -> cdcRelay().connection("localhost", 0, "db", "relay", "").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port must be 1 to 65535, got 0");
        assertThatThrownBy(() -> cdcRelay().connection("localhost", 65_536, "db", "relay", "").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 65536");
    }

    /** Upper case, a hyphen, a leading digit (the publication's unquoted name would be a syntax error), 64 characters, empty. */
    @ParameterizedTest
    @ValueSource(strings = {"Outbox_Relay", "outbox-relay", "0relay", SLOT_OF_64_CHARACTERS, ""})
    void cdcRelayWithASlotNameThatIsNoLowerCaseIdentifierIsRefused(String slot) throws SQLException {
        assertThatThrownBy(() -> cdcRelay().slot(slot).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slot must be").hasMessageContaining("'" + slot + "'");
    }

    @Test
    void cdcRelayWithANonPositiveIntervalOrTimeoutOrACapBelowTheFirstBackoffIsRefusedAndCreatesNothing() throws Exception {
        refusedWithoutOffsets(builder -> builder.offsetFlushInterval(Duration.ZERO), "offsetFlushInterval must be positive");
        refusedWithoutOffsets(builder -> builder.pollInterval(Duration.ofMillis(-5)), "pollInterval must be positive");
        refusedWithoutOffsets(builder -> builder.ackTimeout(Duration.ZERO), "ackTimeout must be positive");
        refusedWithoutOffsets(builder -> builder.topic(" "), "topic must not be blank");
        refusedWithoutOffsets(builder -> builder.maxBackoff(Duration.ofMillis(10)), "cap");
    }

    /** {@code change} makes the CDC relay's builder invalid: build() throws naming the setting and leaves no offset directory behind. */
    private static void refusedWithoutOffsets(Function<CdcRelay.Builder, CdcRelay.Builder> change, String message) throws Exception {
        String slot = "refused_" + UUID.randomUUID().toString().substring(0, 8);
        assertThatThrownBy(() -> change.apply(cdcRelay().slot(slot)).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
        try (Stream<Path> temporary = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(temporary.filter(path -> path.getFileName().toString().startsWith("cdc-relay-" + slot + "-")))
                    .as("offset directories of the refused relay").isEmpty();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A relay builder whose producer factory would fail the test if a refused relay ever made a producer. */
    private static OutboxRelay.Builder relay() throws SQLException {
        return OutboxRelay.builder(OutboxFixture.dataSource(), OutboxFixture.writer()).topic("t").producers(refusedProducer());
    }

    /** A complete CDC relay builder (nothing is connected before start()), with the same failing producer factory. */
    private static CdcRelay.Builder cdcRelay() throws SQLException {
        return CdcRelay.builder(OutboxFixture.dataSource()).connection("localhost", 5432, "db", "relay", "")
                .producers(refusedProducer()).topic("t");
    }

    private static Supplier<Producer<String, String>> refusedProducer() {
        return () -> {
            throw new AssertionError("a refused relay made a producer");
        };
    }
}
