package dev.backendlabs.caching;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisException;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * Keeps one Redis pub/sub subscription to an invalidation channel alive for an L1 cache: each
 * message is a product id to evict.
 *
 * <p>Pub/sub is at-most-once: a message published while this subscriber is disconnected is lost
 * for good. So every (re)subscription first flushes the whole L1 — whatever was missed is gone
 * with it — and staleness after an outage is bounded by the reconnect, not by the L1's TTL. A
 * connection that dies is noticed at once; one that hangs is noticed because the subscriber pings
 * every {@value #PING_MILLIS} ms and the connection's socket timeout (which must be longer) then
 * expires. It reconnects every {@value #RECONNECT_MILLIS} ms until Redis answers.
 */
final class InvalidationSubscriber implements AutoCloseable {

    static final long PING_MILLIS = 500;
    static final long RECONNECT_MILLIS = 100;

    private final Supplier<Jedis> connections;
    private final String channel;
    private final LongConsumer evict;
    private final Runnable flush;
    private final LongAdder received = new LongAdder();
    private final LongAdder flushes = new LongAdder();
    private final Thread thread;
    private final ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("l1-invalidation-ping").factory());
    private volatile Listener listener;
    private volatile boolean closed;

    InvalidationSubscriber(Supplier<Jedis> connections, String channel, LongConsumer evict, Runnable flush) {
        this.connections = connections;
        this.channel = channel;
        this.evict = evict;
        this.flush = flush;
        this.thread = Thread.ofPlatform().daemon().name("l1-invalidation-" + channel).start(this::subscribeUntilClosed);
        pinger.scheduleAtFixedRate(this::ping, PING_MILLIS, PING_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Whether the subscription is confirmed by Redis right now. */
    boolean subscribed() {
        Listener current = listener;
        return current != null && current.confirmed;
    }

    long received() {
        return received.sum();
    }

    long flushes() {
        return flushes.sum();
    }

    private void subscribeUntilClosed() {
        while (!closed) {
            Listener current = new Listener();
            listener = current;
            try (Jedis jedis = connections.get()) {
                jedis.subscribe(current, channel); // returns on unsubscribe, throws when the connection fails
            } catch (JedisException e) {
                // Redis stopped, restarted, or stopped answering pings: reconnect below.
            } finally {
                listener = null;
            }
            if (!closed) {
                sleep(Duration.ofMillis(RECONNECT_MILLIS));
            }
        }
    }

    private void ping() {
        Listener current = listener;
        if (current != null && current.isSubscribed()) {
            try {
                current.ping();
            } catch (JedisException e) {
                // the subscribing thread sees the same broken connection and reconnects
            }
        }
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        pinger.shutdownNow();
        Listener current = listener;
        if (current != null && current.isSubscribed()) {
            try {
                current.unsubscribe();
            } catch (JedisException e) {
                // already disconnected
            }
        }
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Listener extends JedisPubSub {

        private volatile boolean confirmed;

        // region resubscribe
        @Override
        public void onSubscribe(String subscribedChannel, int subscriptions) {
            flush.run(); // messages published while we were not subscribed are lost: drop everything they might have evicted
            flushes.increment();
            confirmed = true;
        }
        // endregion

        @Override
        public void onMessage(String fromChannel, String message) {
            received.increment();
            try {
                evict.accept(Long.parseLong(message));
            } catch (NumberFormatException e) {
                flush.run(); // not an id: evicting everything is the only safe reading
                flushes.increment();
            }
        }

        @Override
        public void onPong(String pattern) {
            // liveness only: the reply proves the connection still works
        }
    }
}
