package dev.backendlabs.retry;

import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * What the lab's test classes share: the backoff strategies under comparison, the two seeded, virtual-time simulations
 * they run in, and the plumbing of the in-process HTTP services (client, warm-up, a handler that calls the next service).
 * No test class calls another.
 */
final class RetryStormsFixture {

    private RetryStormsFixture() {
    }

    /** The JDK client the lab's services call each other with: HTTP/1.1, as the JDK server speaks it. Close it. */
    static HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    }

    /**
     * Sends {@code requests} requests to {@code path} from 8 callers, then resets the server: a cold JVM answers its first
     * few hundred requests so slowly (class loading, the JIT, new connections) that a measured open-loop run starting cold
     * fails them on connect and request timeouts (measured: 921 of the first 1,000 at 500/s on the busy 2-core machine).
     */
    static void warmUp(Downstream server, String path, HttpClient http, int requests) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(10)).build();
        LoadResult warmUp = LoadRunner.workers(8).operations(requests).virtualThreads(true)
                .run((worker, sequence) -> http.send(request, HttpResponse.BodyHandlers.discarding()));
        if (warmUp.errors() > 0) {
            throw new IllegalStateException("The warm-up failed: " + warmUp.errorsByType());
        }
        server.reset();
    }

    /** A policy that never retries, for the layers that leave retrying to another. */
    static RetryPolicy noRetries(String name) {
        return RetryPolicy.builder(name).maxAttempts(1).build();
    }

    /**
     * The handler of a service in a chain: call the next service, answer what it answered, or 503 when the call failed
     * (every retry the policy allowed included). The service's own work is the downstream's service time.
     */
    static Downstream.Handler forwardingTo(HopClient next, URI uri) {
        return request -> {
            try {
                HttpResponse<String> answer = next.get(uri);
                return new Downstream.Response(answer.statusCode(), answer.body());
            } catch (IOException | CallNotPermittedException e) {
                return Downstream.Response.error(503, e.getMessage());
            }
        };
    }

    /** The wait before each retry of one client, which may remember its previous waits (decorrelated jitter does). */
    @FunctionalInterface
    interface ClientBackoff {
        double delayMillis(int retry, RandomGenerator random);
    }

    /**
     * The strategies of Brooker's comparison, plus resilience4j's. Each is built from the ceiling of the first retry's
     * wait and the cap. Brooker's simulator computes {@code min(cap, base × 2^n)} with n from 1, so his base of 5 ms is a
     * first ceiling of 10 ms here; his decorrelated jitter starts from the base itself, {@code uniform(5, 15)}.
     */
    enum Strategy {
        NO_BACKOFF("no backoff"),
        EXPONENTIAL("exponential, no jitter"),
        FULL_JITTER("full jitter"),
        EQUAL_JITTER("equal jitter"),
        DECORRELATED("decorrelated jitter"),
        CAP_AFTER_JITTER("resilience4j: cap after jitter");

        private final String label;

        Strategy(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }

        /** A fresh backoff for one client: stateless strategies are shared, decorrelated jitter is one per client. */
        ClientBackoff forClient(Duration firstCeiling, Duration cap) {
            return switch (this) {
                case NO_BACKOFF -> asClient(new FixedBackoff(Duration.ZERO));
                case EXPONENTIAL -> asClient(new ExponentialBackoff(firstCeiling, cap));
                case FULL_JITTER -> asClient(new FullJitterBackoff(firstCeiling, cap));
                case EQUAL_JITTER -> asClient(new EqualJitterBackoff(firstCeiling, cap));
                case DECORRELATED -> {
                    DecorrelatedJitter jitter = new DecorrelatedJitter(firstCeiling.dividedBy(2), cap);
                    yield (retry, random) -> jitter.nextDelayMillis(random);
                }
                case CAP_AFTER_JITTER -> asClient(new CapAfterJitterBackoff(firstCeiling.toMillis(), 2, 0.5, cap.toMillis()));
            };
        }

        private static ClientBackoff asClient(Backoff backoff) {
            return backoff::delayMillis;
        }
    }

    /** Averages over the runs of one cell of {@link ContentionSimulation}. */
    record Contention(double calls, double completionMillis) {
    }

    /**
     * Brooker's model ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015, and its simulator): {@code clients}
     * clients each update one row once with optimistic concurrency — read the version, write with it, and on a conflict
     * back off and start over. Every message takes {@code |Normal(10 ms, 2 ms)|}. "Calls" counts writes, "completion" is
     * when the last client is done; both are averaged over {@code runs} runs. Virtual time, one seeded generator: the
     * same seed gives the same numbers, and every strategy meets the same first delays.
     */
    static final class ContentionSimulation {

        static final Duration BASE = Duration.ofMillis(10);
        static final Duration CAP = Duration.ofMillis(2000);
        private static final double NET_MEAN_MILLIS = 10;
        private static final double NET_SD_MILLIS = 2;

        private ContentionSimulation() {
        }

        private enum Step { READ, READ_REPLY, WRITE, WRITE_REPLY }

        private record Event(double time, long order, int client, Step step, long version) implements Comparable<Event> {
            @Override
            public int compareTo(Event other) {
                int byTime = Double.compare(time, other.time);
                return byTime != 0 ? byTime : Long.compare(order, other.order);
            }
        }

        static Contention run(Strategy strategy, int clients, int runs, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            long calls = 0;
            double completion = 0;
            for (int run = 0; run < runs; run++) {
                long[] writes = new long[1];
                completion += runOnce(strategy, clients, random, writes);
                calls += writes[0];
            }
            return new Contention((double) calls / runs, completion / runs);
        }

        private static double runOnce(Strategy strategy, int clients, RandomGenerator random, long[] writes) {
            ClientBackoff[] backoffs = new ClientBackoff[clients];
            int[] attempts = new int[clients];
            PriorityQueue<Event> events = new PriorityQueue<>();
            long order = 0;
            long version = 0;
            for (int c = 0; c < clients; c++) {
                backoffs[c] = strategy.forClient(BASE, CAP);
                events.add(new Event(delay(random), order++, c, Step.READ, 0));
            }
            double now = 0;
            while (!events.isEmpty()) {
                Event event = events.poll();
                now = event.time();
                int c = event.client();
                Event next = switch (event.step()) {
                    case READ -> new Event(now + delay(random), order, c, Step.READ_REPLY, version);
                    case READ_REPLY -> new Event(now + delay(random), order, c, Step.WRITE, event.version());
                    case WRITE -> {
                        writes[0]++;
                        boolean written = event.version() == version;
                        if (written) {
                            version++;
                        }
                        yield new Event(now + delay(random), order, c, Step.WRITE_REPLY, written ? 1 : 0);
                    }
                    case WRITE_REPLY -> event.version() == 1 ? null
                            : new Event(now + delay(random) + backoffs[c].delayMillis(++attempts[c], random), order, c, Step.READ, 0);
                };
                if (next != null) {
                    events.add(next);
                    order++;
                }
            }
            return now;
        }

        private static double delay(RandomGenerator random) {
            return Math.abs(NET_MEAN_MILLIS + NET_SD_MILLIS * random.nextGaussian());
        }
    }

    /**
     * A synchronized failure: {@code clients} clients whose calls all failed at the same instant (a server crashed with
     * them in flight) keep retrying a server that stays down for the whole window. Each attempt is a round trip of
     * {@code 2 × |Normal(10 ms, 2 ms)|}, then the client waits its backoff. Records when attempts reach the server, and
     * every wait by retry number.
     */
    static final class SynchronizedFailure {

        static final Duration BIN = Duration.ofMillis(10);

        private SynchronizedFailure() {
        }

        /**
         * @param arrivals attempts reaching the server per {@link #BIN}
         * @param waits    {@code waits[retry][i]}: the i-th client's wait before that retry, for retries 1 to 10
         */
        record Result(long[] arrivals, double[][] waits) {

            /** Pearson correlation of the arrivals with themselves {@code lag} later, over the bins from {@code from}. */
            double correlation(Duration from, Duration lag) {
                int start = (int) (from.toMillis() / BIN.toMillis());
                int shift = (int) (lag.toMillis() / BIN.toMillis());
                int n = arrivals.length - shift - start;
                double meanA = 0;
                double meanB = 0;
                for (int i = start; i < start + n; i++) {
                    meanA += arrivals[i];
                    meanB += arrivals[i + shift];
                }
                meanA /= n;
                meanB /= n;
                double cov = 0;
                double varA = 0;
                double varB = 0;
                for (int i = start; i < start + n; i++) {
                    double a = arrivals[i] - meanA;
                    double b = arrivals[i + shift] - meanB;
                    cov += a * b;
                    varA += a * a;
                    varB += b * b;
                }
                return cov / Math.sqrt(varA * varB);
            }

            /** The share of the waits before {@code retry} that equal {@code cap} exactly, in percent. */
            double atCapPercent(int retry, Duration cap) {
                double capMillis = cap.toNanos() / 1e6;
                long at = Arrays.stream(waits[retry]).filter(wait -> wait == capMillis).count();
                return 100.0 * at / waits[retry].length;
            }
        }

        static Result run(Strategy strategy, Duration firstCeiling, Duration cap, int clients, Duration window, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            long[] arrivals = new long[(int) (window.toMillis() / BIN.toMillis())];
            double[][] waits = new double[11][clients];
            for (int c = 0; c < clients; c++) {
                ClientBackoff backoff = strategy.forClient(firstCeiling, cap);
                double now = 0;
                for (int retry = 1; ; retry++) {
                    double wait = backoff.delayMillis(retry, random);
                    if (retry < waits.length) {
                        waits[retry][c] = wait;
                    }
                    double roundTrip = 2 * Math.abs(10 + 2 * random.nextGaussian());
                    now += roundTrip + wait;
                    int bin = (int) (now / BIN.toMillis());
                    if (bin >= arrivals.length) {
                        break;
                    }
                    arrivals[bin]++;
                }
            }
            return new Result(arrivals, waits);
        }
    }
}
