package dev.backendlabs.shared.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/** What the Downstream tests share: a client, polling, and a minimal open-loop driver. */
final class DownstreamFixture {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration PATIENT = Duration.ofSeconds(10);

    private DownstreamFixture() {
    }

    static DownstreamClient client() {
        return DownstreamClient.create(CONNECT_TIMEOUT);
    }

    /** GET with no headers and a timeout long enough that only a hang makes it fire. */
    static HttpResponse<String> get(DownstreamClient client, URI uri) throws IOException, InterruptedException {
        return client.get(uri, Map.of(), PATIENT);
    }

    /** Polls every 5 ms until {@code condition} holds; fails after {@link #PATIENT}. */
    static void awaitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    /**
     * Fires {@code rate} requests per second at {@code uri} for {@code duration}, each on its own
     * virtual thread with {@code clientTimeout}, whether or not earlier ones have been answered
     * (open loop: a slow server does not slow the arrivals down). A request is goodput when it is
     * answered 200 within the client timeout counted from its intended send time, so a late tick
     * of the scheduler counts against the server, not for it.
     */
    static OpenLoopResult openLoop(DownstreamClient client, URI uri, long rate, Duration duration, Duration clientTimeout)
            throws InterruptedException {
        long periodNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        long total = duration.toNanos() / periodNanos;
        AtomicLong ticks = new AtomicLong();
        AtomicLong lateness = new AtomicLong();
        CountDownLatch fired = new CountDownLatch((int) total);
        LongAdder goodput = new LongAdder();
        LongAdder clientTimeouts = new LongAdder();
        LongAdder failures = new LongAdder();
        Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        // Closed in reverse order: the ticker stops (shutdown cancels a periodic task), then every request is waited for.
        try (ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
             ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor()) {
            long start = System.nanoTime();
            ticker.scheduleAtFixedRate(() -> {
                long tick = ticks.getAndIncrement();
                if (tick >= total) {
                    return;
                }
                long intended = start + tick * periodNanos;
                lateness.accumulateAndGet(System.nanoTime() - intended, Math::max);
                requests.submit(() -> {
                    try {
                        HttpResponse<String> response = client.get(uri, Map.of(), clientTimeout);
                        statuses.computeIfAbsent(response.statusCode(), s -> new LongAdder()).increment();
                        if (response.statusCode() == 200 && System.nanoTime() - intended <= clientTimeout.toNanos()) {
                            goodput.increment();
                        }
                    } catch (HttpTimeoutException e) {
                        clientTimeouts.increment();
                    } catch (IOException e) {
                        failures.increment();
                    }
                    return null;
                });
                fired.countDown();
            }, 0, periodNanos, TimeUnit.NANOSECONDS);
            fired.await();
        }
        Map<Integer, Long> byStatus = new ConcurrentHashMap<>();
        statuses.forEach((status, count) -> byStatus.put(status, count.sum()));
        return new OpenLoopResult(total, goodput.sum(), clientTimeouts.sum(), failures.sum(), Map.copyOf(byStatus),
                Duration.ofNanos(lateness.get()));
    }

    /**
     * @param sent           requests fired
     * @param goodput        answered 200 within the client timeout, counted from the intended send time
     * @param clientTimeouts given up by the client
     * @param failures       failed otherwise (connection refused or reset)
     * @param statuses       answers received, by status
     * @param worstTickDelay how far the driver's clock tick fell behind its intended time at worst: how long this JVM
     *                       (or the machine under it) stalled, which a failed band should be read against
     */
    record OpenLoopResult(long sent, long goodput, long clientTimeouts, long failures, Map<Integer, Long> statuses,
                          Duration worstTickDelay) {
    }
}
