package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.sql.Sql;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * LISTEN/NOTIFY wake-ups: an idle polling relay with a long poll is woken by the commit of a
 * notifying writer's transaction; a notification nobody receives (the listening session was
 * killed) is covered by the poll, and the relay listens again afterwards.
 */
@Lab
class NotifyWakeupTest {

    /** Long against a wake-up (a few ms in our runs), so that only a notification can publish an order this fast. */
    private static final Duration POLL = Duration.ofSeconds(3);
    /** How soon a notified relay must have published: commit to published took 22–70 ms in our runs, on a machine with other builds. */
    private static final Duration WOKEN_WITHIN = Duration.ofSeconds(1);
    /** Time for the relay's follow-up pass after a publish (a few ms; generous for a loaded machine) before it waits again. */
    private static final Duration IDLE = Duration.ofMillis(500);

    @Test
    void aNotifyingCommitWakesAnIdleRelayAndThePollCoversAMissedNotification(KafkaBackend kafka) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OrderService notifying = new OrderService(OutboxFixture.dataSource(), OutboxFixture.writer().notifying());
        NotifyWakeup wakeup = new NotifyWakeup(OutboxFixture.dataSource());
        try (RelayRunner runner = new RelayRunner(OutboxFixture.relay(kafka, topic).build(), "relay-notify", POLL, Duration.ofSeconds(1),
                wakeup)) {
            assertThat(OutboxFixture.eventually(Duration.ofSeconds(10), Duration.ofMillis(20), () -> listeners() == 1))
                    .as("the relay listens").isTrue();

            // A first order makes the relay's producer (its first connection to the broker): not a wake-up to time. After a
            // publish the relay makes one more pass, finds nothing and waits: IDLE lets it get there, so that when the next
            // order commits the next poll is still about 2.5 s away and only a notification can publish the order sooner.
            notifying.place(Order.create("customer-0", 100));
            assertThat(OutboxFixture.eventually(POLL.multipliedBy(2), Duration.ofMillis(1), () -> runner.relay().published() == 1))
                    .isTrue();
            for (int i = 2; i <= 4; i++) {
                Thread.sleep(IDLE.toMillis());
                long start = System.nanoTime();
                notifying.place(Order.create("customer-" + i, 100));
                int expected = i;
                boolean woken = OutboxFixture.eventually(WOKEN_WITHIN, Duration.ofMillis(1), () -> runner.relay().published() == expected);
                double elapsedMs = (System.nanoTime() - start) / 1e6;
                if (woken) {
                    System.out.printf("notify wake-up %d: published %.1f ms after the commit began%n", i, elapsedMs);
                } else {
                    System.out.printf("notify wake-up %d: NOT published within %d ms of the commit%n", i, WOKEN_WITHIN.toMillis());
                }
                assertThat(woken).as("order " + i + " published within " + WOKEN_WITHIN + " of its commit, with a " + POLL + " poll")
                        .isTrue();
            }
            assertThat(wakeup.notifications()).as("wake-ups by notification").isPositive();

            Sql.execute(OutboxFixture.dataSource(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE query = 'LISTEN " + OutboxWriter.CHANNEL + "' AND datname = current_database()");
            notifying.place(Order.create("customer-missed", 100)); // nobody listens when this commits
            boolean polled = OutboxFixture.eventually(POLL.multipliedBy(3), Duration.ofMillis(20), () -> runner.relay().published() == 5);
            assertThat(polled).as("the missed notification's order, published by the fallback poll").isTrue();
            assertThat(wakeup.listenFailures()).as("the killed listening session was noticed").isEqualTo(1);

            assertThat(OutboxFixture.eventually(POLL.multipliedBy(2), Duration.ofMillis(20), () -> listeners() == 1))
                    .as("the relay listens again").isTrue();
            Thread.sleep(IDLE.toMillis());
            notifying.place(Order.create("customer-after", 100));
            assertThat(OutboxFixture.eventually(WOKEN_WITHIN, Duration.ofMillis(1), () -> runner.relay().published() == 6))
                    .as("woken by a notification again").isTrue();
        }
    }

    /** Sessions of the lab's database listening on the outbox channel. */
    private static long listeners() throws Exception {
        return OutboxFixture.count("SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN " + OutboxWriter.CHANNEL + "'"
                + " AND datname = current_database()");
    }
}
