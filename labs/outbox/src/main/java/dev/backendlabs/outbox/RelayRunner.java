package dev.backendlabs.outbox;

import io.github.resilience4j.core.IntervalFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs a relay on its own thread until closed: publish batches back to back while there are any,
 * wait {@code idlePoll} when the outbox is empty, and back off exponentially while Kafka or the
 * database is failing, so a dead broker is not hammered and a recovered one is found again within
 * one backoff. The backoff is {@link FullJitterBackoff} (50 ms doubling, capped at
 * {@code maxBackoff}, full jitter after the cap), so relays that failed together do not retry in
 * lockstep.
 *
 * <p>A failed pass is never silent: the first failure of a streak is logged with its stack trace,
 * later ones with their cause, the recovery with the streak's length; {@link #failedPasses()} counts
 * them and {@link #lastFailure()} keeps the most recent cause for a health check.
 */
public final class RelayRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RelayRunner.class);
    private static final Duration INITIAL_BACKOFF = Duration.ofMillis(50);

    /** A failed pass: when it failed, and why. */
    public record Failure(Instant at, Throwable cause) {
    }

    /** How an idle relay waits before its next pass: at most the idle poll, less if something says there is work. */
    @FunctionalInterface
    public interface Wakeup extends AutoCloseable {

        /** Plain polling: sleep the whole idle poll. */
        Wakeup SLEEP = Thread::sleep;

        void await(Duration idlePoll) throws InterruptedException;

        @Override
        default void close() {
        }
    }

    private final BatchRelay relay;
    private final String name;
    private final Duration idlePoll;
    private final IntervalFunction backoff;
    private final Wakeup wakeup;
    private final Thread thread;
    private final LongAdder failedPasses = new LongAdder();
    private volatile Failure lastFailure;
    private volatile boolean running = true;

    /** Starts {@code relay} on a thread called {@code name}, polling every {@code idlePoll} when idle; the runner owns the relay. */
    public RelayRunner(BatchRelay relay, String name, Duration idlePoll, Duration maxBackoff) {
        this(relay, name, idlePoll, maxBackoff, Wakeup.SLEEP);
    }

    /**
     * Starts {@code relay} on a thread called {@code name}; when idle it waits on {@code wakeup} for at
     * most {@code idlePoll} (with {@link NotifyWakeup}, the poll is only the fallback for a missed
     * notification). The runner owns the relay and the wake-up, and closes both.
     */
    public RelayRunner(BatchRelay relay, String name, Duration idlePoll, Duration maxBackoff, Wakeup wakeup) {
        this.relay = Objects.requireNonNull(relay, "relay");
        this.name = name;
        this.idlePoll = idlePoll;
        this.backoff = new FullJitterBackoff(INITIAL_BACKOFF, 2.0, maxBackoff);
        this.wakeup = Objects.requireNonNull(wakeup, "wakeup");
        this.thread = Thread.ofPlatform().name(name).daemon().start(this::loop);
    }

    private void loop() {
        int consecutiveFailures = 0;
        try {
            while (running) {
                try {
                    int published = relay.publishBatch();
                    if (consecutiveFailures > 0) {
                        LOG.info("relay {}: recovered after {} failed passes", name, consecutiveFailures);
                        consecutiveFailures = 0;
                    }
                    if (published == 0) {
                        wakeup.await(idlePoll);
                    }
                } catch (SQLException | RuntimeException e) {
                    // Kafka or the database failing (a KafkaException thrown by send included): back off, never die.
                    if (!running) {
                        return;
                    }
                    failedPasses.increment();
                    consecutiveFailures++;
                    lastFailure = new Failure(Instant.now(), e);
                    long wait = backoff.apply(consecutiveFailures);
                    if (consecutiveFailures == 1) {
                        LOG.warn("relay {}: pass failed, the batch stays in the outbox; retrying in {} ms", name, wait, e);
                    } else {
                        LOG.warn("relay {}: pass failed again ({} in a row); retrying in {} ms: {}", name, consecutiveFailures, wait,
                                e.toString());
                    }
                    Thread.sleep(wait);
                }
            }
        } catch (InterruptedException e) {
            // closed
        } catch (Error e) {
            lastFailure = new Failure(Instant.now(), e);
            LOG.error("relay {}: stopped by an error; the outbox is no longer published by this relay", name, e);
            throw e;
        }
    }

    public BatchRelay relay() {
        return relay;
    }

    /** Passes that failed (Kafka or the database unavailable) and were retried after a backoff. */
    public long failedPasses() {
        return failedPasses.sum();
    }

    /** The most recent failed pass, if any: for a health check or an operator asking "why is the backlog growing?". */
    public Optional<Failure> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /** Stops after the current pass (an unfinished pass rolls back, its rows stay in the outbox), then closes the relay and the wake-up. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (wakeup) {
            relay.close();
        }
    }
}
