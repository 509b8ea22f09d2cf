package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.KafkaBackend;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Watch the outbox work: places N orders at a steady rate while relays publish and a consumer
 * applies them, printing one progress line a second, then the final counts. Stop the broker from
 * another terminal (docker mode) or kill the process and look at what the tables and the topic
 * hold.
 *
 * <pre>
 * ./mvnw -q -pl labs/outbox test-compile exec:java -Dexec.args="5000 2"    # orders, relays
 * </pre>
 */
public final class OutboxDemo {

    private OutboxDemo() {
    }

    public static void main(String[] args) throws Exception {
        int orders = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        int relays = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        if (orders < 1 || relays < 1) {
            throw new IllegalArgumentException("usage: OutboxDemo [orders >= 1] [relays >= 1]");
        }
        KafkaBackend kafka = Backends.kafka();
        String topic = OutboxFixture.freshTopic(kafka);
        OrderService service = new OrderService(OutboxFixture.dataSource(), OutboxFixture.writer());
        AtomicLong placed = new AtomicLong();
        AtomicBoolean consuming = new AtomicBoolean(true);
        List<RelayRunner> runners = new ArrayList<>();
        try (KafkaConsumer<String, String> kafkaConsumer = OutboxFixture.consumer(kafka, topic)) {
            for (int i = 0; i < relays; i++) {
                runners.add(OutboxFixture.runner(kafka, topic, "relay-" + i)); // each relay with its own producer
            }
            InboxConsumer consumer = new InboxConsumer(OutboxFixture.dataSource(), kafkaConsumer, "demo");
            Thread consumerThread = Thread.ofPlatform().name("consumer").start(() -> {
                while (consuming.get()) {
                    try {
                        consumer.pollOnce(Duration.ofMillis(100));
                    } catch (Exception e) {
                        System.out.println("consumer: " + e.getMessage() + " (retrying)");
                    }
                }
            });
            Thread writer = Thread.ofPlatform().name("writer").start(() -> {
                try {
                    while (placed.get() < orders) {
                        service.place(Order.create("customer-" + placed.get() % 97, 100 + placed.get()));
                        placed.incrementAndGet();
                        Thread.sleep(1);
                    }
                } catch (Exception e) {
                    System.out.println("writer: " + e.getMessage());
                }
            });
            long effects;
            do {
                Thread.sleep(1_000);
                OutboxBacklog backlog = OutboxBacklog.of(OutboxFixture.dataSource());
                effects = OutboxFixture.appliedEvents();
                long published = runners.stream().mapToLong(runner -> runner.relay().published()).sum();
                System.out.printf("placed %6d · outbox backlog %6d (oldest %5d ms) · published %6d · effects %6d"
                                + " · redeliveries skipped %d%n",
                        placed.get(), backlog.events(), backlog.oldestAge().toMillis(), published, effects, consumer.duplicates());
            } while (effects < orders || writer.isAlive());
            consuming.set(false);
            consumerThread.join();
            System.out.printf("done: %d orders, %d effects, %d duplicate effects, %d order rows%n", placed.get(), effects,
                    OutboxFixture.duplicateEffects(), OutboxFixture.count("SELECT count(*) FROM orders"));
        } finally {
            runners.forEach(RelayRunner::close);
        }
        System.exit(0);
    }
}
