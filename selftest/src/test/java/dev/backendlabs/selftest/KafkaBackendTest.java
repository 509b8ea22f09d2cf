package dev.backendlabs.selftest;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.junit.Lab;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Lab("selftest")
class KafkaBackendTest {

    /** Topics and groups unique to this run, so that an external broker can run the tests twice. */
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);

    @Test
    void idempotentProducerAndConsumerGroupRoundTrip(KafkaBackend kafka, LabNamespace namespace) throws Exception {
        String topic = namespace.topic("round-trip-" + RUN);
        String group = namespace.consumerGroup("round-trip-" + RUN);
        kafka.createTopic(topic, 3);
        Properties producerProperties = kafka.producerProperties();
        assertThat(producerProperties).containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);

        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProperties)) {
            for (int i = 0; i < 30; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + (i % 3), "value-" + i)).get(30, TimeUnit.SECONDS);
            }
        }

        List<ConsumerRecord<String, String>> received = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(kafka.consumerProperties(group))) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                return received.size() >= 30;
            });
            consumer.commitSync();
        }

        assertThat(received).hasSize(30);
        for (String key : List.of("key-0", "key-1", "key-2")) {
            List<Integer> order = received.stream().filter(r -> r.key().equals(key))
                    .map(r -> Integer.parseInt(r.value().substring("value-".length()))).toList();
            assertThat(order).hasSize(10).isSorted();
        }
        try (Admin admin = Admin.create(kafka.adminProperties())) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            assertThat(committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum()).isEqualTo(30);
        }
    }

    @Test
    void stopAndStartKeepThePortAndAFailedProducerRecovers(KafkaBackend kafka, LabNamespace namespace) throws Exception {
        String topic = namespace.topic("outage-" + RUN);
        kafka.createTopic(topic, 1);
        String bootstrap = kafka.bootstrapServers();
        Properties properties = kafka.producerProperties();
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1_000);
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 3_000);
        properties.put(ProducerConfig.LINGER_MS_CONFIG, 0);

        try (KafkaProducer<String, String> producer = new KafkaProducer<>(properties)) {
            producer.send(new ProducerRecord<>(topic, "k", "before")).get(30, TimeUnit.SECONDS);

            kafka.stop();
            try {
                assertThat(kafka.running()).isFalse();
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, "k", "during")).get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
            } finally {
                kafka.start();
            }

            assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    assertThat(producer.send(new ProducerRecord<>(topic, "k", "after")).get(10, TimeUnit.SECONDS).offset())
                            .isPositive());
        }

        List<String> values = new ArrayList<>();
        String group = namespace.consumerGroup("outage-" + RUN);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(kafka.consumerProperties(group))) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                return values.contains("after");
            });
        }
        assertThat(values).startsWith("before").contains("after").doesNotContain("during");
    }
}
