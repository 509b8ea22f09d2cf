package dev.backendlabs.shared.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.backendlabs.shared.http.Route.Outcome;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * A programmable HTTP dependency on loopback: the payment provider, the flaky service or the
 * overloaded back end that a lab needs to break on purpose, with real sockets, real timeouts and
 * real queueing, so that the client code under test cannot tell it from a remote service.
 *
 * <pre>{@code
 * try (Downstream provider = Downstream.builder().seed(7).route("/charge").start()) {
 *     provider.latency(Latency.logNormal(Duration.ofMillis(20), Duration.ofMillis(120)))
 *             .errors(503, 0.05)
 *             .capacity(8, 64, Duration.ofMillis(200));
 *     HttpResponse<String> answer = client.post(provider.uri("/charge"), "{}", Map.of(), Duration.ofSeconds(1));
 *     RouteStats stats = provider.stats("/charge");
 * }
 * }</pre>
 *
 * <p>A request goes through the steps a real service puts it through, in this order:
 * <ol>
 *   <li>a {@linkplain Outage#hang() hang} outage holds it until the window ends; a
 *       {@linkplain Outage#failFast(int) fail-fast} one answers its status at once;</li>
 *   <li>an {@linkplain #errors(int, double) injected error} answers its status at once, without work;</li>
 *   <li>with {@linkplain #idempotent(boolean) idempotency} on, a key seen before gets the stored answer,
 *       or 409 while the key's first request is still in progress;</li>
 *   <li>the {@linkplain #capacity(int, int, Duration) capacity gate} gives it a worker, queues it, or
 *       rejects it when the queue is full;</li>
 *   <li>the work: the worker is held for a service time drawn from the {@linkplain #latency(Latency) latency},
 *       then the route's handler runs;</li>
 *   <li>a request that waited in the queue past the queue timeout is answered 503 after its work, like a
 *       server that notices the deadline only when it is done, or before it, with
 *       {@linkplain #shedExpired(boolean) shedding}.</li>
 * </ol>
 * Each request ends in exactly one outcome of its route's {@link RouteStats}.
 *
 * <p>Connections are handled on virtual threads, one per exchange, so the server itself never
 * queues: the capacity a lab configures is the only limit, and a request waiting for a worker (or
 * hanging in an outage) costs a parked virtual thread, not a platform thread. The JDK server does not
 * tell a handler that its client disconnected; like most real servers, a request whose client gave up
 * is only noticed when its answer cannot be written, which is the behaviour the overload labs need.
 *
 * <p>Everything set after {@link Builder#start()} may change while traffic flows (all setters are
 * thread-safe and apply to requests that arrive afterwards). Bad settings throw
 * {@link IllegalArgumentException} and change nothing. Random draws (service times, error statuses)
 * come from generators seeded by {@link Builder#seed(long)}, so a run draws the same values every time.
 */
public final class Downstream implements AutoCloseable {

    /** The request header that names one logical operation across retries (IETF draft-ietf-httpapi-idempotency-key-header). */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    /** Set to {@code true} on an answer replayed from the idempotency store, as Stripe does. */
    public static final String IDEMPOTENT_REPLAYED = "Idempotent-Replayed";

    private static final String LOOPBACK = "127.0.0.1";

    /** Room for a burst of new connections: overload runs open one per timed-out request. */
    private static final int ACCEPT_BACKLOG = 1024;

    private static final long DEFAULT_SEED = 42;

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    /** The default handler: a small JSON body naming the route and the request's sequence number on it. */
    private static final Handler ECHO = request -> new Response(200,
            JSON.objectNode().put("route", request.route()).put("request", request.sequence()).toString());

    private static final Stored IN_PROGRESS = new Stored(null);

    private static final Response CONFLICT = Response.error(409, "a request with this Idempotency-Key is in progress");

    private final HttpServer server;
    private final ExecutorService exchanges = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Route> routes;
    private final long seed;
    private final Random serviceTimes;
    private final Faults faults;
    private final Map<String, LongAdder> executions = new ConcurrentHashMap<>();
    private final Map<String, Stored> answers = new ConcurrentHashMap<>();
    private volatile Latency latency = Latency.none();
    private volatile CapacityGate gate;
    private volatile boolean shedExpired;
    private volatile boolean idempotent;

    /**
     * What a route's handler sees of a request.
     *
     * @param route    the route's path
     * @param sequence the request's arrival number on its route, from 1
     * @param headers  the request headers (names case-insensitive, read-only)
     */
    public record Request(String route, long sequence, String method, Headers headers, String body) {
    }

    /** A route's answer; bodies are sent as {@code application/json}. */
    public record Response(int status, String body) {

        public Response {
            if (status < 100 || status > 599) {
                throw new IllegalArgumentException("An HTTP status is within 100 to 599, got " + status);
            }
            Objects.requireNonNull(body, "body");
        }

        /** {@code {"error": message}} with the given status. */
        public static Response error(int status, String message) {
            return new Response(status, JSON.objectNode().put("error", message).toString());
        }
    }

    /**
     * A route's work, e.g. a service that calls the next one in a chain. It runs after the service
     * time, on a worker of the capacity gate; what it returns is counted as served (2xx) or failed.
     * It may block (it runs on a virtual thread) and should give up when interrupted: the server is closing.
     */
    @FunctionalInterface
    public interface Handler {
        Response handle(Request request) throws Exception;
    }

    private Downstream(Builder builder) throws IOException {
        this.routes = builder.routes.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, route -> new Route(route.getKey(), route.getValue())));
        this.seed = builder.seed;
        this.serviceTimes = new Random(seed);
        // A different stream for faults, so that changing an error rate does not change the service times drawn.
        this.faults = new Faults(~seed);
        this.server = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), ACCEPT_BACKLOG);
        // One context for all paths: the JDK matches contexts by string prefix, so "/pay" would also take "/payment".
        server.createContext("/", this::exchange);
        server.setExecutor(exchanges);
        server.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The URI of {@code path} on this server, e.g. {@code http://127.0.0.1:41234/charge}. */
    public URI uri(String path) {
        requirePath(path);
        return URI.create("http://" + LOOPBACK + ":" + server.getAddress().getPort() + path);
    }

    /** The service time of every request's work from now on. */
    public Downstream latency(Latency latency) {
        this.latency = Objects.requireNonNull(latency, "latency");
        return this;
    }

    /**
     * Answers a fraction {@code rate} of the requests with {@code status} (400 to 599), at once and
     * without work; several statuses may be set, their rates adding up to at most 1. Rate 0 removes
     * the status.
     */
    public Downstream errors(int status, double rate) {
        faults.errors(status, rate);
        return this;
    }

    /** An outage from now until {@link #clearOutage()}; replaces any other outage window. */
    public Downstream outage(Outage outage) {
        faults.outage(Objects.requireNonNull(outage, "outage"), Duration.ZERO, null);
        return this;
    }

    /** An outage from now, lasting {@code duration}; replaces any other outage window. */
    public Downstream outage(Outage outage, Duration duration) {
        return outage(outage, Duration.ZERO, duration);
    }

    /** An outage starting {@code startAfter} from now, lasting {@code duration}; replaces any other outage window. */
    public Downstream outage(Outage outage, Duration startAfter, Duration duration) {
        faults.outage(Objects.requireNonNull(outage, "outage"), startAfter, Objects.requireNonNull(duration, "duration"));
        return this;
    }

    /** Ends the outage window (or cancels a scheduled one) and releases the requests it holds. */
    public Downstream clearOutage() {
        faults.clearOutage();
        return this;
    }

    /** No injected errors and no outage; latency, capacity and counters stay as they are. */
    public Downstream clearFaults() {
        faults.clear();
        return this;
    }

    /**
     * Bounds the server: {@code workers} requests work at once, at most {@code queueLimit} more
     * wait for a worker (first come, first served), and a request arriving to a full queue is
     * answered 503 at once. A request that waited longer than {@code queueTimeout} is answered 503
     * after doing its work, or without it when {@linkplain #shedExpired(boolean) shedding}.
     *
     * <p>Requests already admitted finish under the previous bounds. Until this is called the
     * server has no bound: every request gets a worker at once.
     */
    public Downstream capacity(int workers, int queueLimit, Duration queueTimeout) {
        this.gate = new CapacityGate(workers, queueLimit, Objects.requireNonNull(queueTimeout, "queueTimeout"));
        return this;
    }

    /**
     * Whether a request that is given a worker after waiting past the queue timeout is dropped at
     * once (503, counted {@code shed}) instead of doing work its client has most likely given up on:
     * the fix for the goodput collapse of an overloaded queue. Off by default.
     */
    public Downstream shedExpired(boolean shed) {
        this.shedExpired = shed;
        return this;
    }

    /**
     * Whether the server keeps the answer of each {@value #IDEMPOTENCY_KEY} and replays it to later
     * requests with the same key instead of executing them again (a provider with its own
     * idempotency), answering 409 while the first request with the key is still in progress. Off by
     * default: every request executes, key or not (a provider without it). Keys are counted either way.
     */
    public Downstream idempotent(boolean idempotent) {
        this.idempotent = idempotent;
        return this;
    }

    /**
     * Back to the state after {@link Builder#start()}: no faults, no latency, no capacity bound, no
     * shedding, no idempotency, counters and executions at zero, generators at their seed.
     */
    public Downstream reset() {
        faults.reset();
        serviceTimes.setSeed(seed);
        latency = Latency.none();
        gate = null;
        shedExpired = false;
        idempotent = false;
        executions.clear();
        answers.clear();
        routes.values().forEach(Route::reset);
        return this;
    }

    /** A snapshot of the counters of {@code path}. */
    public RouteStats stats(String path) {
        return route(path).stats();
    }

    /** How many times work was done for requests carrying this {@value #IDEMPOTENCY_KEY} (0 if never). */
    public long executions(String idempotencyKey) {
        LongAdder count = executions.get(idempotencyKey);
        return count == null ? 0 : count.sum();
    }

    /** Requests waiting for a worker right now (0 without a capacity bound). */
    public int queued() {
        CapacityGate current = gate;
        return current == null ? 0 : current.queued();
    }

    /** Stops the server and interrupts every request in progress: held by a hang, waiting for a worker or working. */
    @Override
    public void close() {
        server.stop(0);
        exchanges.shutdownNow();
    }

    private void exchange(HttpExchange exchange) {
        long arrival = System.nanoTime();
        try (exchange) {
            Route route = routes.get(exchange.getRequestURI().getPath());
            if (route == null) {
                send(exchange, Response.error(404, "no route " + exchange.getRequestURI().getPath()), false);
                return;
            }
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Request request = new Request(route.path(), route.arrive(), exchange.getRequestMethod(),
                    Headers.of(exchange.getRequestHeaders()), body);
            Answer answer = null;
            try {
                answer = answer(route, request);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (answer == null) {
                    route.abandon();
                } else {
                    route.depart(answer.outcome(), arrival);
                }
            }
            if (answer != null) {
                send(exchange, answer.response(), answer.outcome() == Outcome.REPLAYED);
            }
        } catch (IOException e) {
            // The client is gone (it timed out and closed the connection): there is no one left to answer.
        }
    }

    private Answer answer(Route route, Request request) throws InterruptedException {
        faults.awaitHangEnd();
        OptionalInt injected = faults.injectedStatus();
        if (injected.isPresent()) {
            return new Answer(Outcome.ERROR, Response.error(injected.getAsInt(), "injected fault"));
        }
        String key = request.headers().getFirst(IDEMPOTENCY_KEY);
        if (key == null || !idempotent) {
            return admit(route, request, key, false);
        }
        Stored stored = answers.putIfAbsent(key, IN_PROGRESS);
        if (stored != null) {
            return stored.equals(IN_PROGRESS) ? new Answer(Outcome.CONFLICT, CONFLICT) : new Answer(Outcome.REPLAYED, stored.response());
        }
        try {
            return admit(route, request, key, true);
        } finally {
            // A no-op once the work stored its answer; frees the key of a request that never did work.
            answers.remove(key, IN_PROGRESS);
        }
    }

    private Answer admit(Route route, Request request, String key, boolean store) throws InterruptedException {
        CapacityGate current = gate;
        if (current == null) {
            return completed(execute(route, request, key, store));
        }
        long waited = current.enter();
        if (waited == CapacityGate.REJECTED) {
            return new Answer(Outcome.REJECTED, Response.error(503, "queue full"));
        }
        try {
            boolean expired = current.expired(waited);
            if (expired && shedExpired) {
                return new Answer(Outcome.SHED, Response.error(503, "shed: waited past the queue timeout"));
            }
            Response response = execute(route, request, key, store);
            return expired ? new Answer(Outcome.TIMED_OUT, Response.error(503, "timed out in the queue")) : completed(response);
        } finally {
            current.release();
        }
    }

    /** The work: hold the worker for a service time, run the handler, remember the answer for the key. */
    private Response execute(Route route, Request request, String key, boolean store) throws InterruptedException {
        if (key != null) {
            executions.computeIfAbsent(key, k -> new LongAdder()).increment();
        }
        long serviceNanos = latency.sampleNanos(serviceTimes);
        if (serviceNanos > 0) {
            Thread.sleep(Duration.ofNanos(serviceNanos));
        }
        Response response = route.handle(request);
        if (store) {
            // Stored even when the request itself is answered "timed out": the work happened, and a retry must learn its result.
            answers.replace(key, IN_PROGRESS, new Stored(response));
        }
        return response;
    }

    private static Answer completed(Response response) {
        return new Answer(response.status() / 100 == 2 ? Outcome.SERVED : Outcome.FAILED, response);
    }

    private static void send(HttpExchange exchange, Response response, boolean replayed) throws IOException {
        byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (replayed) {
            exchange.getResponseHeaders().set(IDEMPOTENT_REPLAYED, "true");
        }
        exchange.sendResponseHeaders(response.status(), body.length == 0 ? -1 : body.length);
        exchange.getResponseBody().write(body);
    }

    private Route route(String path) {
        Route route = routes.get(path);
        if (route == null) {
            throw new IllegalArgumentException("No route " + path + "; routes are " + routes.keySet());
        }
        return route;
    }

    private static void requirePath(String path) {
        if (path == null || !path.startsWith("/") || path.contains("?") || path.contains("#")) {
            throw new IllegalArgumentException("A path starts with '/' and has no query or fragment, got " + path);
        }
    }

    private record Answer(Outcome outcome, Response response) {
    }

    /** A key's entry in the idempotency store: the answer of its work, or none yet while the work is in progress. */
    private record Stored(Response response) {
    }

    /** Routes and seed; everything else is set on the running {@link Downstream}. */
    public static final class Builder {

        private final Map<String, Handler> routes = new LinkedHashMap<>();
        private long seed = DEFAULT_SEED;

        private Builder() {
        }

        /** Seeds the service-time and error draws (42 by default). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** A route whose work is the service time, answered 200 with {@code {"route": path, "request": n}}. */
        public Builder route(String path) {
            return route(path, ECHO);
        }

        /** A route whose work is the service time followed by {@code handler}. */
        public Builder route(String path, Handler handler) {
            requirePath(path);
            Objects.requireNonNull(handler, "handler");
            if (routes.putIfAbsent(path, handler) != null) {
                throw new IllegalArgumentException("Route " + path + " is already defined");
            }
            return this;
        }

        /** Starts the server on a free loopback port. */
        public Downstream start() {
            if (routes.isEmpty()) {
                throw new IllegalStateException("A downstream needs at least one route");
            }
            try {
                return new Downstream(this);
            } catch (IOException e) {
                throw new UncheckedIOException("Could not start a downstream on loopback", e);
            }
        }
    }
}
