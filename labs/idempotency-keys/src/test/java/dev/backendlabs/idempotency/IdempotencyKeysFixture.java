package dev.backendlabs.idempotency;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpHandler;
import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.sql.Sql;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;

import javax.sql.DataSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

import static org.awaitility.Awaitility.await;

/**
 * What the lab's test classes share: its database and pool, the payment provider, a running payments
 * service (pattern or naive) and an HTTP client that posts payments. No test class calls another.
 */
final class IdempotencyKeysFixture {

    static final LabNamespace NAMESPACE = LabNamespace.current();
    static final String TENANT = "tenant-a";
    static final String CHARGES = "/charges";
    static final String PAYMENT = "{\"amount\": 1250, \"currency\": \"EUR\", \"destination\": \"acct_42\"}";
    static final String DECLINED_DESTINATION = "acct_declined";

    /** Long enough that no lease runs out by accident under load; the lease tests set their own. */
    static final Duration LEASE = Duration.ofSeconds(30);
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(2);

    /** Every process of a test uses the same: a restarted process must send a crashed one's provider keys. */
    private static final String PROVIDER_KEY_PREFIX = "lab";

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static HikariDataSource dataSource;

    private IdempotencyKeysFixture() {
    }

    /** The lab's pool on its own database (20 connections: 100 concurrent requests share it), with the schema. */
    static synchronized HikariDataSource dataSource() {
        if (dataSource == null) {
            dataSource = Backends.postgres().dataSource(NAMESPACE, config -> config.setMaximumPoolSize(20));
            try (Connection connection = dataSource.getConnection()) {
                IdempotencySchema.create(connection);
            } catch (SQLException e) {
                throw new IllegalStateException("Could not create the lab's tables", e);
            }
        }
        return dataSource;
    }

    /** Empties every table. */
    static void truncate() {
        try (Connection connection = dataSource().getConnection()) {
            IdempotencySchema.truncate(connection);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static long count(String sql, Object... parameters) {
        return Sql.queryLong(dataSource(), sql, parameters);
    }

    /**
     * The payment provider: {@code POST /charges} answers 201 {@code {"id": "ch_<n>"}}, or 402 for the destination
     * {@value #DECLINED_DESTINATION}. It counts the work done per provider key ({@code executions(key)}) and in all.
     */
    static Downstream provider() {
        return Downstream.builder().seed(11).route(CHARGES, request -> {
            JsonNode body = CanonicalJson.MAPPER.readTree(request.body());
            if (DECLINED_DESTINATION.equals(body.path("destination").asText())) {
                return Downstream.Response.error(402, "card_declined");
            }
            return new Downstream.Response(201, CanonicalJson.MAPPER.createObjectNode().put("id", "ch_" + request.sequence()).toString());
        }).start();
    }

    /**
     * Charges the provider made: its executed requests, counted once none is in flight any more (a request is counted
     * when it ends, and a client that gave up on one does not wait for it).
     */
    static long charges(Downstream provider) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> provider.stats(CHARGES).inFlight() == 0);
        return provider.stats(CHARGES).executed();
    }

    /** A process of the payments service: its API on loopback, its store and its client to the provider. */
    record Service(PaymentsApi api, IdempotencyStore store, RecoveryPointPayments payments, HttpClient providerClient)
            implements AutoCloseable {

        URI paymentsUri() {
            return api.uri(RecoveryPointPayments.ROUTE);
        }

        URI intentsUri() {
            return api.uri(PaymentIntents.ROUTE);
        }

        @Override
        public void close() {
            api.close();
            providerClient.close();
        }
    }

    /** How to build a {@link Service}; every test states only what it changes. */
    record Options(Duration lease, Duration lockTimeout, ErrorCaching caching, PaymentHooks hooks, Duration providerTimeout) {

        static Options defaults() {
            return new Options(LEASE, LOCK_TIMEOUT, ErrorCaching.SUCCESS_AND_DETERMINISTIC, PaymentHooks.NONE, Duration.ofSeconds(5));
        }

        Options lease(Duration value) {
            return new Options(value, lockTimeout, caching, hooks, providerTimeout);
        }

        Options lockTimeout(Duration value) {
            return new Options(lease, value, caching, hooks, providerTimeout);
        }

        Options caching(ErrorCaching value) {
            return new Options(lease, lockTimeout, value, hooks, providerTimeout);
        }

        Options hooks(PaymentHooks value) {
            return new Options(lease, lockTimeout, caching, value, providerTimeout);
        }

        Options providerTimeout(Duration value) {
            return new Options(lease, lockTimeout, caching, hooks, value);
        }
    }

    /** The pattern on the lab's pool: {@code POST /payments} (recovery points) and {@code POST /payment-intents} (fast path). */
    static Service service(Downstream provider, UnaryOperator<Options> options) {
        return service(dataSource(), provider, options.apply(Options.defaults()));
    }

    static Service service(DataSource database, Downstream provider, Options options) {
        IdempotencyStore store = new IdempotencyStore(database, options.lease(), options.lockTimeout());
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        RecoveryPointPayments payments = new RecoveryPointPayments(store,
                new HttpPaymentProvider(client, provider.uri(CHARGES), options.providerTimeout()), options.caching(), PROVIDER_KEY_PREFIX,
                options.hooks());
        Map<String, HttpHandler> routes = new LinkedHashMap<>();
        routes.put(RecoveryPointPayments.ROUTE, crashable(new AtomicClaimHandler(payments, PaymentPost.MAX_BODY_BYTES)));
        routes.put(PaymentIntents.ROUTE, new PaymentIntentsHandler(new SingleTransactionIdempotency(store), PaymentPost.MAX_BODY_BYTES));
        return new Service(start(routes), store, payments, client);
    }

    /** The naive handler on the same pool, provider and route. */
    static Service naiveService(Downstream provider) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpPaymentProvider charges = new HttpPaymentProvider(client, provider.uri(CHARGES), Options.defaults().providerTimeout());
        Map<String, HttpHandler> routes = Map.of(RecoveryPointPayments.ROUTE,
                new CheckThenInsertHandler(dataSource(), charges, PaymentPost.MAX_BODY_BYTES));
        return new Service(start(routes), null, null, client);
    }

    private static PaymentsApi start(Map<String, HttpHandler> routes) {
        try {
            return PaymentsApi.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), routes);
        } catch (IOException e) {
            throw new IllegalStateException("Could not start the payments API", e);
        }
    }

    /**
     * The process died in the handler ({@link SimulatedCrash}): nothing after the crash point ran, the handler's
     * try-with-resources closed the exchange without an answer, and the client sees its connection dropped.
     */
    private static HttpHandler crashable(HttpHandler handler) {
        return exchange -> {
            try {
                handler.handle(exchange);
            } catch (SimulatedCrash crash) {
                // The process is gone; nothing answers.
            }
        };
    }

    /** A crash at a hook: an {@link Error}, so no catch block of the service runs — no release, no answer. */
    static final class SimulatedCrash extends Error {

        private static final long serialVersionUID = 1L;

        SimulatedCrash(PaymentHooks.Step step) {
            super("the process died at " + step, null, false, false);
        }
    }

    static HttpResponse<String> post(URI uri, String tenant, String key, String body) throws IOException, InterruptedException {
        return send(request(uri, tenant, key, body).build());
    }

    /** A request with the lab's headers; {@code key} as the header's whole value, or no header if null. */
    static HttpRequest.Builder request(URI uri, String tenant, String key, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).header("Content-Type", "application/json")
                .header(PaymentPost.TENANT_HEADER, tenant).POST(HttpRequest.BodyPublishers.ofString(body));
        return key == null ? request : request.header(IdempotencyKeyHeader.NAME, key);
    }

    static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static boolean replayed(HttpResponse<?> response) {
        return response.headers().firstValue(ApiResponse.REPLAYED_HEADER).orElse("false").equals("true");
    }

    /**
     * A client that retries until it gets a final answer: after a dropped connection, a 409 (in progress) or a 503,
     * every 50 ms with the same key, up to 100 attempts — what a payment client should do.
     */
    static HttpResponse<String> postUntilAnswered(URI uri, String key, String body) {
        Retry retry = Retry.of("client", RetryConfig.<HttpResponse<String>>custom().maxAttempts(100).waitDuration(Duration.ofMillis(50))
                .retryExceptions(IOException.class)
                .retryOnResult(response -> response.statusCode() == 409 || response.statusCode() == 503)
                .build());
        try {
            return Retry.decorateCallable(retry, () -> post(uri, TENANT, key, body)).call();
        } catch (Exception e) {
            throw new IllegalStateException("No final answer after 100 attempts", e);
        }
    }

    /** One outcome of a request: its response, or the exception the client got. */
    record Outcome(HttpResponse<String> response, Exception failure) {

        int status() {
            return response == null ? -1 : response.statusCode();
        }
    }

    /**
     * Sends {@code requests} identical POSTs at once: each on its own virtual thread, all released by one latch when
     * every thread is ready. The naive handler and the pattern are both fired this way.
     */
    static List<Outcome> fireTogether(int requests, HttpRequest request) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(requests);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Outcome>> futures = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < requests; i++) {
                futures.add(threads.submit(() -> {
                    ready.countDown();
                    go.await();
                    try {
                        return new Outcome(send(request), null);
                    } catch (IOException e) {
                        return new Outcome(null, e);
                    }
                }));
            }
            ready.await(10, TimeUnit.SECONDS);
            go.countDown();
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> future : futures) {
                outcomes.add(future.get(30, TimeUnit.SECONDS));
            }
            return outcomes;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("A concurrent request did not finish", e);
        }
    }

    /**
     * Inserts {@code count} finished keys of {@code POST /payments}: 100 tenants, random UUID keys, created evenly
     * between {@code minAge} and {@code minAge + spread} ago. Their stored request and answer are minimal ({@code {}}):
     * nothing here reads them — a claim of a new key touches the unique index only, the reaper deletes by age — and
     * full-size rows (a 150-byte answer) took this machine twice as long to write (18.6 s against 10.2 s for 300,000
     * rows under load). The rows go in index order (a sort first), 2.4 times faster than random order (7.7 s against
     * 18.7 s for 200,000) though it leaves index pages fuller than traffic would; and in two halves at once, on two
     * connections, each with its own 50 tenants and its own span of time, so that the halves write different parts of
     * every index.
     */
    static void seedKeys(long count, Duration minAge, Duration spread) {
        seedKeys(dataSource(), count, minAge, spread);
    }

    /** As {@link #seedKeys(long, Duration, Duration)}, into the key table that {@code database}'s connections see. */
    static void seedKeys(DataSource database, long count, Duration minAge, Duration spread) {
        long half = count / 2;
        try (ExecutorService halves = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> first = halves.submit(() -> seedKeys(database, 1, half, 0, count, minAge, spread));
            Future<?> second = halves.submit(() -> seedKeys(database, half + 1, count, 50, count, minAge, spread));
            first.get();
            second.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Could not seed " + count + " keys", e.getCause());
        }
    }

    /** Rows {@code from} to {@code to} of {@code count}, for tenants {@code firstTenant} to {@code firstTenant + 49}. */
    private static Void seedKeys(DataSource database, long from, long to, int firstTenant, long count, Duration minAge, Duration spread)
            throws SQLException {
        try (Connection connection = database.getConnection(); PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO idempotency_keys (tenant, method, route, idempotency_key, fingerprint, request_params, recovery_point,
                                              response_status, response_headers, response_body, created_at, last_run_at)
                SELECT tenant, 'POST', '/payments', key, sha256(key::bytea), '{}', 'finished', 201,
                       '{"Content-Type": "application/json"}', '\\x7b7d', created, created
                  FROM (SELECT 'tenant-' || ? + n % 50 AS tenant, gen_random_uuid()::text AS key,
                               clock_timestamp() - (? + ? * n / ?) * interval '1 millisecond' AS created
                          FROM generate_series(?, ?) AS n
                         ORDER BY 1, 2) AS keys
                """)) {
            connection.setAutoCommit(false);
            try (Statement memory = connection.createStatement()) {
                memory.execute("SET LOCAL work_mem = '256MB'");  // the sort of a million keys in memory, not in temporary files
            }
            insert.setInt(1, firstTenant);
            insert.setLong(2, minAge.toMillis());
            insert.setDouble(3, spread.toMillis());
            insert.setLong(4, count);
            insert.setLong(5, from);
            insert.setLong(6, to);
            insert.executeUpdate();
            connection.commit();
            return null;
        }
    }

    /** The id of the key row of {@code key} (tenant {@value #TENANT}, {@code POST /payments}). */
    static long keyId(String key) {
        return count("SELECT id FROM idempotency_keys WHERE tenant = ? AND route = ? AND idempotency_key = ?", TENANT,
                RecoveryPointPayments.ROUTE, key);
    }
}
