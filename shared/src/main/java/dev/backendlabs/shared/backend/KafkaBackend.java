package dev.backendlabs.shared.backend;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A running Kafka broker: client properties, topic creation and, where this run owns the broker,
 * {@link #stop()} / {@link #start()} for outage tests. Obtain it from {@link Backends#kafka()}.
 */
public final class KafkaBackend extends ServerHandle {

    private final String bootstrapServers;
    private final String version;

    KafkaBackend(BackendMode mode, String bootstrapServers, String version, FaultControl control) {
        super(mode, control);
        this.bootstrapServers = bootstrapServers;
        this.version = version;
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public String version() {
        return version;
    }


    @Override
    public String address() {
        return bootstrapServers;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Admin client properties with bounded timeouts. */
    public Properties adminProperties() {
        Properties properties = new Properties();
        properties.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        return properties;
    }

    /**
     * Producer properties for String keys and values: idempotent, {@code acks=all}, with a
     * 30 s delivery timeout so a stopped broker shows up as a failed send rather than a hang.
     */
    public Properties producerProperties() {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        return properties;
    }

    /**
     * Consumer properties for String keys and values in consumer group {@code groupId}:
     * read from the earliest offset, commit explicitly.
     */
    public Properties consumerProperties(String groupId) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return properties;
    }

    /** A new producer of String keys and values with {@link #producerProperties()} adjusted by {@code customizer}; the caller closes it. */
    public KafkaProducer<String, String> newProducer(Consumer<Properties> customizer) {
        Properties properties = producerProperties();
        customizer.accept(properties);
        return new KafkaProducer<>(properties);
    }

    /** A new consumer in {@code group}, subscribed to {@code topic}, reading from the earliest offset; the caller closes it. */
    public KafkaConsumer<String, String> newConsumer(String group, String topic) {
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties(group));
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /** Creates a topic with replication factor 1 unless it exists, and waits until it does. */
    public void createTopic(String name, int partitions) {
        try (Admin admin = Admin.create(adminProperties())) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("Could not create topic " + name + " on " + bootstrapServers, e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("Timed out creating topic " + name + " on " + bootstrapServers, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted creating topic " + name, e);
        }
    }
}
