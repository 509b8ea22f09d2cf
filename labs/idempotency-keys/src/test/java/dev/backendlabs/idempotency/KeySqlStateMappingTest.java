package dev.backendlabs.idempotency;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.idempotency.IdempotencyKeysFixture.Service;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.junit.Lab;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.NAMESPACE;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.PAYMENT;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * SQLSTATEs 23505, 40001 and 55P03, raised by the real server, each mapped to its outcome; and the
 * two that a client can meet through the API, 55P03 (a row locked past the lock timeout: 409, not a
 * hang) and 40001 (a duplicate under SERIALIZABLE: the transaction runs again and replays). The third,
 * 23505 from the payments' one-per-key constraint, is met by {@code StalledKeyOwnerTest}; the claim never
 * raises it, because ON CONFLICT turns a duplicate's insert into a read of the winner's row.
 */
@Lab
class KeySqlStateMappingTest {

    @BeforeEach
    void emptyTables() {
        IdempotencyKeysFixture.truncate();
    }

    @Test
    void eachSqlStateTheServerRaisesMapsToItsOutcome() throws Exception {
        IdempotencyKeysFixture.seedKeys(1, Duration.ZERO, Duration.ZERO);
        try (Connection first = IdempotencyKeysFixture.dataSource().getConnection();
             Connection second = IdempotencyKeysFixture.dataSource().getConnection()) {
            assertThat(SqlFailure.of(failure(first, "INSERT INTO payments (tenant, amount, currency, destination, provider_charge_id, "
                    + "idempotency_key_id) SELECT 't', 1, 'EUR', 'd', 'ch', id FROM idempotency_keys CROSS JOIN generate_series(1, 2)")))
                    .isEqualTo(SqlFailure.KEY_EXISTS);

            first.setAutoCommit(false);
            second.setAutoCommit(false);
            first.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            execute(first, "SELECT recovery_point FROM idempotency_keys");
            execute(second, "UPDATE idempotency_keys SET last_run_at = clock_timestamp()");
            second.commit();
            assertThat(SqlFailure.of(failure(first, "UPDATE idempotency_keys SET last_run_at = clock_timestamp()")))
                    .isEqualTo(SqlFailure.SERIALIZATION_FAILURE);
            first.rollback();

            execute(second, "SELECT id FROM idempotency_keys FOR UPDATE");
            assertThat(SqlFailure.of(failure(first, "SELECT id FROM idempotency_keys FOR UPDATE NOWAIT")))
                    .isEqualTo(SqlFailure.LOCK_NOT_AVAILABLE);
            first.rollback();
            second.rollback();

            assertThat(SqlFailure.of(failure(first, "SELECT 'not a number'::int"))).isEqualTo(SqlFailure.OTHER);
            first.rollback();
        }
    }

    @Test
    void aKeyRowLockedPastTheLockTimeoutGets409InsteadOfAWait() throws Exception {
        String key = UUID.randomUUID().toString();
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options.lockTimeout(Duration.ofMillis(200)));
             Connection holder = IdempotencyKeysFixture.dataSource().getConnection()) {
            // Another transaction is writing this very key and has not committed: the claim's insert must wait for it.
            holder.setAutoCommit(false);
            try (PreparedStatement insert = holder.prepareStatement("INSERT INTO idempotency_keys (tenant, method, route, idempotency_key, "
                    + "fingerprint, request_params) VALUES (?, 'POST', '/payments', ?, '\\x00', '{}')")) {
                insert.setString(1, TENANT);
                insert.setString(2, key);
                insert.executeUpdate();
            }
            HttpResponse<String> blocked = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);
            holder.rollback();
            HttpResponse<String> later = IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT);

            assertThat(blocked.statusCode()).isEqualTo(409);
            assertThat(blocked.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(service.store().metrics().lockTimeouts()).isEqualTo(1);
            assertThat(provider.stats(IdempotencyKeysFixture.CHARGES).arrivals()).as("nothing charged while blocked").isEqualTo(1);
            assertThat(later.statusCode()).isEqualTo(201);
        }
    }

    /**
     * The race a storm of duplicates only hits now and then, forced: a claim of the key is inserted and not yet
     * committed when a duplicate's claim arrives. The duplicate's insert waits for it; when it commits, ON CONFLICT
     * turns the wait into "no row", and the duplicate reads the winner's row: in flight, 409. A claim that looked the
     * key up first and inserted without ON CONFLICT would find nothing, wait the same way, and fail with 23505 (a 503).
     */
    @Test
    void aClaimThatWaitedForAnUncommittedClaimOfItsKeyGets409NotAUniqueViolation() throws Exception {
        String key = UUID.randomUUID().toString();
        try (Downstream provider = IdempotencyKeysFixture.provider();
             Service service = IdempotencyKeysFixture.service(provider, options -> options);
             Connection winner = IdempotencyKeysFixture.dataSource().getConnection();
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            KeyScope scope = new KeyScope(TENANT, RecoveryPointPayments.METHOD, RecoveryPointPayments.ROUTE, key);
            PaymentRequest request = PaymentRequest.parse(PAYMENT.getBytes(StandardCharsets.UTF_8));
            winner.setAutoCommit(false);
            Fingerprint fingerprint = Fingerprint.of(scope, request.canonicalJson());
            assertThat(service.store().claim(winner, scope, fingerprint)).as("the winner's claim, not committed")
                    .isInstanceOf(Claim.Owned.class);

            Future<HttpResponse<String>> duplicate = threads.submit(() ->
                    IdempotencyKeysFixture.post(service.paymentsUri(), TENANT, key, PAYMENT));
            await().atMost(Duration.ofSeconds(10)).until(() -> IdempotencyKeysFixture.count(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 1);
            winner.commit();
            HttpResponse<String> answer = duplicate.get(10, TimeUnit.SECONDS);

            assertThat(answer.statusCode()).as("the duplicate's answer: %s", answer.body()).isEqualTo(409);
            assertThat(answer.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(provider.stats(IdempotencyKeysFixture.CHARGES).arrivals()).as("provider calls").isZero();
        }
    }

    @Test
    void underSerializableADuplicateOfAFastPathRequestInFlightRunsAgainAndReplays(PostgresBackend postgres) throws Exception {
        try (HikariDataSource serializable = postgres.dataSource(NAMESPACE, config -> {
            config.setMaximumPoolSize(4);
            config.setTransactionIsolation("TRANSACTION_SERIALIZABLE");
        }); ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            IdempotencyStore store = new IdempotencyStore(serializable, IdempotencyKeysFixture.LEASE, Duration.ofSeconds(10));
            SingleTransactionIdempotency fastPath = new SingleTransactionIdempotency(store);
            PaymentRequest request = PaymentRequest.parse(PAYMENT.getBytes(StandardCharsets.UTF_8));
            KeyScope scope = new KeyScope(TENANT, "POST", PaymentIntents.ROUTE, UUID.randomUUID().toString());
            Fingerprint fingerprint = Fingerprint.of(scope, request.canonicalJson());
            CountDownLatch inWork = new CountDownLatch(1);
            CountDownLatch finish = new CountDownLatch(1);
            AtomicBoolean duplicateWorked = new AtomicBoolean();

            Future<ApiResponse> first = threads.submit(() -> fastPath.execute(scope, fingerprint, (connection, keyId) -> {
                inWork.countDown();
                awaitQuietly(finish);
                return PaymentIntents.create(connection, TENANT, request, keyId);
            }));
            assertThat(inWork.await(10, TimeUnit.SECONDS)).isTrue();
            Future<ApiResponse> duplicate = threads.submit(() -> fastPath.execute(scope, fingerprint, (connection, keyId) -> {
                duplicateWorked.set(true);
                return PaymentIntents.create(connection, TENANT, request, keyId);
            }));
            await().atMost(Duration.ofSeconds(10)).until(() -> IdempotencyKeysFixture.count(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 1);
            finish.countDown();

            ApiResponse created = first.get(10, TimeUnit.SECONDS);
            ApiResponse replayed = duplicate.get(10, TimeUnit.SECONDS);
            assertThat(created.status()).isEqualTo(201);
            assertThat(store.metrics().serializationRetries()).as("40001, then a new transaction").isEqualTo(1);
            assertThat(replayed.status()).isEqualTo(201);
            assertThat(replayed.headers()).containsEntry(ApiResponse.REPLAYED_HEADER, "true");
            assertThat(replayed.body()).isEqualTo(created.body());
            assertThat(duplicateWorked).as("the duplicate's work never ran").isFalse();
            assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM payment_intents")).isEqualTo(1);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static SQLException failure(Connection connection, String sql) {
        return catchThrowableOfType(SQLException.class, () -> execute(connection, sql));
    }
}
