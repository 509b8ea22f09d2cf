package dev.backendlabs.shared.http;

import dev.backendlabs.shared.load.LatencyRecorder;
import dev.backendlabs.shared.load.LatencySummary;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** One path of a {@link Downstream}: its handler and its counters. */
final class Route {

    /** How a request ended; one counter each in {@link RouteStats}. */
    enum Outcome { SERVED, FAILED, ERROR, REJECTED, TIMED_OUT, SHED, REPLAYED, CONFLICT }

    private final String path;
    private final Downstream.Handler handler;
    private final AtomicLong arrivals = new AtomicLong();
    private final LongAdder inFlight = new LongAdder();
    private final LongAdder[] outcomes = new LongAdder[Outcome.values().length];
    private final LatencyRecorder latency = new LatencyRecorder();

    Route(String path, Downstream.Handler handler) {
        this.path = path;
        this.handler = handler;
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = new LongAdder();
        }
    }

    String path() {
        return path;
    }

    /** Counts an arrival; returns its sequence number on this route, from 1. */
    long arrive() {
        inFlight.increment();
        return arrivals.incrementAndGet();
    }

    /**
     * Counts how a request ended, before its answer is written: a client that has read its answer
     * finds it counted.
     */
    void depart(Outcome outcome, long arrivalNanos) {
        outcomes[outcome.ordinal()].increment();
        latency.recordSince(arrivalNanos);
        inFlight.decrement();
    }

    /** A request that ends without an answer, because the server is closing. */
    void abandon() {
        inFlight.decrement();
    }

    /** Runs the handler; a handler that throws is answered 500, as a servlet container would. */
    Downstream.Response handle(Downstream.Request request) throws InterruptedException {
        try {
            return Objects.requireNonNull(handler.handle(request), "the handler returned no response");
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return Downstream.Response.error(500, "handler failed: " + e);
        }
    }

    /** Summarised from a copy: iterating the live histogram while requests record into it fails. */
    RouteStats stats() {
        return new RouteStats(path, arrivals.get(), inFlight.sum(), count(Outcome.SERVED), count(Outcome.FAILED), count(Outcome.ERROR),
                count(Outcome.REJECTED), count(Outcome.TIMED_OUT), count(Outcome.SHED), count(Outcome.REPLAYED),
                count(Outcome.CONFLICT), LatencySummary.of(latency.histogram()));
    }

    /** Zeroes the counters and the histogram; requests in flight stay counted as such. */
    void reset() {
        arrivals.set(inFlight.sum());
        for (LongAdder outcome : outcomes) {
            outcome.reset();
        }
        latency.reset();
    }

    private long count(Outcome outcome) {
        return outcomes[outcome.ordinal()].sum();
    }
}
