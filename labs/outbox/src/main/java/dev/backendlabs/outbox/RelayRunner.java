package dev.backendlabs.outbox;

import io.github.resilience4j.core.IntervalFunction;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs a relay on its own thread until closed: publish batches back to back while there are any,
 * wait {@code idlePoll} when the outbox is empty, and back off exponentially (with jitter, capped
 * at {@code maxBackoff}) while Kafka or the database is failing, so a dead broker is not hammered
 * and a recovered one is found again within one backoff.
 */
public final class RelayRunner implements AutoCloseable {

    private final BatchRelay relay;
    private final Duration idlePoll;
    private final IntervalFunction backoff;
    private final Thread thread;
    private final LongAdder failedPasses = new LongAdder();
    private volatile boolean running = true;

    public RelayRunner(BatchRelay relay, String name, Duration idlePoll, Duration maxBackoff) {
        this.relay = relay;
        this.idlePoll = idlePoll;
        this.backoff = IntervalFunction.ofExponentialRandomBackoff(Duration.ofMillis(50), 2.0, 0.5, maxBackoff);
        this.thread = Thread.ofPlatform().name(name).daemon().start(this::loop);
    }

    private void loop() {
        int consecutiveFailures = 0;
        while (running) {
            try {
                int published = relay.publishBatch();
                consecutiveFailures = 0;
                if (published == 0) {
                    Thread.sleep(idlePoll);
                }
            } catch (SQLException | RuntimeException e) {
                // Kafka or the database failing (a KafkaException thrown by send included): back off, never die.
                failedPasses.increment();
                consecutiveFailures++;
                if (!pause(backoff.apply(consecutiveFailures))) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    public BatchRelay relay() {
        return relay;
    }

    /** Passes that failed (Kafka or the database unavailable) and were retried after a backoff. */
    public long failedPasses() {
        return failedPasses.sum();
    }

    /** Stops after the current pass; an unfinished pass rolls back and its rows stay in the outbox. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
