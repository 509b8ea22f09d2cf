package dev.backendlabs.circuitbreaker;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.http.DownstreamClient;
import dev.backendlabs.shared.load.LatencyRecorder;
import dev.backendlabs.shared.load.LatencySummary;
import dev.backendlabs.shared.net.FaultProxy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * What the lab's test classes share: the dependency behind a fault proxy, the compressed timings, a clock that moves only
 * when told, and a recorder of a breaker's state transitions. No test class calls another.
 */
final class CircuitBreakerFixture {

    /** How {@link QuoteServer} starts the body of a failed quote. */
    private static final String UNAVAILABLE = "quote unavailable: ";

    /** The caller's worker pool, like a small servlet container's. */
    static final int WORKERS = 16;

    /** Half the pool may wait on the dependency; the other half stays free for requests that do not need it. */
    static final int MAX_CONCURRENT_CALLS = 8;

    private CircuitBreakerFixture() {
    }

    /**
     * The issue's durations, compressed so that the quick scale fits the lab's two minutes: every duration is the issue's
     * times {@code factor} (1/10 at the quick scale, 1 at the full scale), so ratios between them — latency to time limit,
     * time limit to client timeout, open wait to outage — are the same at both scales.
     */
    record Timings(Scale scale, double factor) {

        static Timings of(Scale scale) {
            return new Timings(scale, scale.pick(0.1, 1.0));
        }

        Duration scaled(Duration issue) {
            return Duration.ofNanos(Math.round(issue.toNanos() * factor));
        }

        /** The dependency on a good day: 50 ms. */
        Duration normalLatency() {
            return scaled(Duration.ofMillis(50));
        }

        /** The dependency in trouble: 5 s, and still answering. */
        Duration slowLatency() {
            return scaled(Duration.ofSeconds(5));
        }

        /** The HTTP client's request timeout, a common default: 30 s. */
        Duration clientTimeout() {
            return scaled(Duration.ofSeconds(30));
        }

        /** The time limiter: resilience4j's default, 1 s, 20 times the normal latency. */
        Duration timeLimit() {
            return scaled(Duration.ofSeconds(1));
        }

        /** How long the caller's own users wait before they give up: 10 s. */
        Duration userPatience() {
            return scaled(Duration.ofSeconds(10));
        }

        /** How long the breaker stays open before its probes: 10 s. */
        Duration waitInOpenState() {
            return scaled(Duration.ofSeconds(10));
        }

        /** The pause before the pattern's one retry: 100 ms. */
        Duration retryWait() {
            return scaled(Duration.ofMillis(100));
        }

        /** The width of one bucket of the over-time charts: 2.5 s. */
        Duration bucket() {
            return scaled(Duration.ofMillis(2_500));
        }

        GuardSettings guards() {
            return GuardSettings.of(timeLimit(), MAX_CONCURRENT_CALLS, waitInOpenState(), retryWait());
        }
    }

    /** The shared {@link Downstream} with one {@code /quote} route, behind a {@link FaultProxy}: the caller talks to the proxy. */
    record Dependency(Downstream downstream, FaultProxy proxy) implements AutoCloseable {

        static Dependency start() {
            Downstream downstream = Downstream.builder().seed(13).route("/quote").start();
            return new Dependency(downstream, FaultProxy.start("quotes", "127.0.0.1", downstream.uri("/quote").getPort()));
        }

        /** The quote URI through the proxy. */
        URI quotes() {
            return URI.create("http://" + proxy.host() + ":" + proxy.port() + "/quote");
        }

        long arrivals() {
            return downstream.stats("/quote").arrivals();
        }

        @Override
        public void close() {
            proxy.close();
            downstream.close();
        }
    }

    /**
     * A clock that moves only when told: the breaker's OPEN wait reads {@link #instant()}, its call durations read
     * {@link #nanos()} through {@code currentTimestampFunction}, and its TIME_BASED window's buckets are epoch seconds of
     * {@link #instant()}. Starts on a whole second, so that bucket boundaries fall on whole seconds of the scenario.
     */
    static final class ManualClock extends Clock {

        private static final Instant ORIGIN = Instant.parse("2026-01-01T00:00:00Z");
        private final AtomicLong nanos = new AtomicLong();

        @Override
        public Instant instant() {
            return ORIGIN.plusNanos(nanos.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("a manual clock has one zone");
        }

        long nanos() {
            return nanos.get();
        }

        void advance(Duration by) {
            nanos.addAndGet(by.toNanos());
        }

        void set(Duration sinceOrigin) {
            nanos.set(sinceOrigin.toNanos());
        }

        /**
         * {@code builder} on this clock, for the state machine and the call durations. The window is SYNCHRONIZED because a
         * LOCK_FREE TIME_BASED window ignores the configured clock and reads the system's (resilience4j PR #2241).
         */
        CircuitBreakerConfig.Builder drive(CircuitBreakerConfig.Builder builder) {
            return builder.clock(this)
                    .currentTimestampFunction(clock -> nanos(), TimeUnit.NANOSECONDS)
                    .slidingWindowSynchronizationStrategy(SlidingWindowSynchronizationStrategy.SYNCHRONIZED);
        }
    }

    /** A state transition, {@code atNanos} after the recorder's origin. */
    record Transition(long atNanos, CircuitBreaker.State from, CircuitBreaker.State to) {

        double atSeconds() {
            return atNanos / 1e9;
        }
    }

    /** Every state transition of a breaker, from its events, timed on {@link System#nanoTime()} from {@code origin}. */
    static final class StateTimeline {

        private final List<Transition> transitions = new ArrayList<>();
        private final long origin;

        private StateTimeline(long origin) {
            this.origin = origin;
        }

        static StateTimeline of(CircuitBreaker breaker, long origin) {
            StateTimeline timeline = new StateTimeline(origin);
            breaker.getEventPublisher().onStateTransition(event -> timeline.add(event.getStateTransition().getFromState(),
                    event.getStateTransition().getToState()));
            return timeline;
        }

        private synchronized void add(CircuitBreaker.State from, CircuitBreaker.State to) {
            transitions.add(new Transition(System.nanoTime() - origin, from, to));
        }

        synchronized List<Transition> transitions() {
            return List.copyOf(transitions);
        }

        long count(CircuitBreaker.State from, CircuitBreaker.State to) {
            return transitions().stream().filter(t -> t.from() == from && t.to() == to).count();
        }
    }

    /**
     * Transitions as a step line for a chart: 0 closed, 1 half-open, 2 open, from 0 to {@code endSeconds}.
     *
     * @return {x[], y[]}
     */
    static double[][] steps(List<Transition> transitions, double endSeconds) {
        List<double[]> points = new ArrayList<>();
        double level = 0;
        points.add(new double[] {0, level});
        for (Transition transition : transitions) {
            points.add(new double[] {transition.atSeconds(), level});
            level = switch (transition.to()) {
                case CLOSED -> 0;
                case HALF_OPEN -> 1;
                default -> 2;
            };
            points.add(new double[] {transition.atSeconds(), level});
        }
        points.add(new double[] {endSeconds, level});
        return new double[][] {points.stream().mapToDouble(p -> p[0]).toArray(), points.stream().mapToDouble(p -> p[1]).toArray()};
    }

    /** How the requests of one endpoint ended: latency from each request's start, and a count per answer. */
    static final class Tally {

        private final LatencyRecorder latency = new LatencyRecorder();
        private final Map<String, LongAdder> answers = new ConcurrentHashMap<>();

        void record(long startNanos, String answer) {
            latency.recordSince(startNanos);
            answers.computeIfAbsent(answer, a -> new LongAdder()).increment();
        }

        LatencySummary latency() {
            return latency.summary();
        }

        /** e.g. {@code 200: 812, 503: 10, gave up: 5}. */
        String answers() {
            return new TreeMap<>(answers).entrySet().stream().map(e -> e.getKey() + ": " + e.getValue().sum())
                    .collect(Collectors.joining(", "));
        }
    }

    /** The answer label of a request the open breaker rejected: {@link QuoteServer}'s status and reason. */
    static final String REJECTED_BY_OPEN_BREAKER = "503 " + QuoteFailedException.Reason.BREAKER_OPEN;

    /**
     * GET {@code uri} as a user who waits {@code patience}, telling {@code onAnswer} how it ended — the status and, for a
     * failed quote, its reason (e.g. {@value #REJECTED_BY_OPEN_BREAKER}), "gave up" or "network error" — and throwing unless
     * it was a 200, so that a load runner counts it as an error.
     */
    static void get(DownstreamClient users, URI uri, Duration patience, Consumer<String> onAnswer) throws Exception {
        String answer = "network error";
        try {
            HttpResponse<String> response = users.get(uri, Map.of(), patience);
            String body = response.body();
            answer = response.statusCode() + (body.startsWith(UNAVAILABLE) ? " " + body.substring(UNAVAILABLE.length()) : "");
            requireOk(response);
        } catch (HttpTimeoutException e) {
            answer = "gave up";
            throw e;
        } finally {
            onAnswer.accept(answer);
        }
    }

    /** Moves a closed breaker to HALF_OPEN the only legal way, through OPEN. */
    static void halfOpen(CircuitBreaker breaker) {
        breaker.transitionToOpenState();
        breaker.transitionToHalfOpenState();
    }

    /** One call, a failure (an {@link IOException}) or a success, taking no time, recorded by {@code breaker}. */
    static void record(CircuitBreaker breaker, boolean fails) {
        breaker.acquirePermission();
        if (fails) {
            breaker.onError(0, TimeUnit.NANOSECONDS, new IOException("connection reset"));
        } else {
            breaker.onSuccess(0, TimeUnit.NANOSECONDS);
        }
    }

    /** An HTTP answer other than 200, thrown from a load operation so that the runner counts it as an error by its class. */
    static final class UnexpectedStatusException extends Exception {

        UnexpectedStatusException(HttpResponse<String> response) {
            super("status " + response.statusCode() + ": " + response.body());
        }
    }

    /** Throws {@link UnexpectedStatusException} unless the answer is 200. */
    static HttpResponse<String> requireOk(HttpResponse<String> response) throws UnexpectedStatusException {
        if (response.statusCode() != 200) {
            throw new UnexpectedStatusException(response);
        }
        return response;
    }
}
