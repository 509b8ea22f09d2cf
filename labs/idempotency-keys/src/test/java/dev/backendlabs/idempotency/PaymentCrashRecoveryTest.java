package dev.backendlabs.idempotency;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.idempotency.IdempotencyKeysFixture.Options;
import dev.backendlabs.idempotency.IdempotencyKeysFixture.Outcome;
import dev.backendlabs.idempotency.IdempotencyKeysFixture.Service;
import dev.backendlabs.idempotency.IdempotencyKeysFixture.SimulatedCrash;
import dev.backendlabs.idempotency.PaymentHooks.Step;
import dev.backendlabs.shared.backend.PostgresBackend;
import dev.backendlabs.shared.http.Downstream;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.net.FaultProxy;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.backendlabs.idempotency.IdempotencyKeysFixture.NAMESPACE;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.PAYMENT;
import static dev.backendlabs.idempotency.IdempotencyKeysFixture.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A payment interrupted after each recovery point, two ways: the handler's process dies there (an
 * {@link Error} from a hook: no catch block runs, nothing is released, the client's connection drops,
 * and a new process serves the retry), or the connection to PostgreSQL is cut there by the fault proxy
 * (the process lives on, its next statement and its attempt to release the key both fail). Then the
 * client retries with the same key until it gets a final answer — or, for the dead processes, the
 * completer finishes the key first. The provider honours its own keys, and counts its executions per key.
 */
@Lab
class PaymentCrashRecoveryTest {

    /** Short, so that a retry waits out a dead owner's lease in a few hundred ms; the database clock decides when it ends. */
    private static final Duration LEASE = Duration.ofMillis(300);

    enum Fault { KILL_HANDLER, CUT_DATABASE }

    private record Case(Step step, Fault fault, int firstStatus, long charges, long payments, long receipts, HttpResponse<String> last) {
    }

    @Test
    void aRetryAfterACrashAtEveryRecoveryPointChargesOnce(PostgresBackend postgres, LabReport report) throws Exception {
        List<Case> cases = new ArrayList<>();
        try (Downstream provider = IdempotencyKeysFixture.provider();
             FaultProxy proxy = FaultProxy.start("postgres", postgres.host(), postgres.port())) {
            for (Step step : Step.values()) {
                for (Fault fault : Fault.values()) {
                    cases.add(crashThenRetry(postgres, proxy, provider, step, fault));
                }
            }
        }
        long duplicates = cases.stream().mapToLong(c -> c.charges() - 1).sum();
        ReportTable table = ReportTable.of("Crash after each recovery point, then the client's retry", "crash point", "fault",
                "first answer", "provider charges", "payments", "receipts", "final answer");
        cases.forEach(c -> table.row(c.step(), c.fault(), c.firstStatus() < 0 ? "connection dropped" : c.firstStatus(), c.charges(),
                c.payments(), c.receipts(), c.last().statusCode() + (IdempotencyKeysFixture.replayed(c.last()) ? " (replay)" : "")));
        report.table(table);
        report.metric("crash_recovery_duplicate_charges", duplicates, "charges",
                "Provider charges beyond one per payment over " + cases.size() + " crashes (4 recovery points x process killed or"
                        + " database cut), each followed by the client's retry with the same key.");

        assertThat(duplicates).isZero();
        assertThat(cases).allSatisfy(c -> {
            assertThat(c.charges()).as("charges after %s / %s", c.step(), c.fault()).isEqualTo(1);
            assertThat(c.payments()).as("payments after %s / %s", c.step(), c.fault()).isEqualTo(1);
            assertThat(c.receipts()).as("receipts after %s / %s", c.step(), c.fault()).isEqualTo(1);
            assertThat(c.last().statusCode()).as("final answer after %s / %s", c.step(), c.fault()).isEqualTo(201);
        });
    }

    @Test
    void theCompleterFinishesAKeyWhoseOwnerDiedAtEveryRecoveryPoint(PostgresBackend postgres) throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             FaultProxy proxy = FaultProxy.start("postgres", postgres.host(), postgres.port())) {
            for (Step step : Step.values()) {
                IdempotencyKeysFixture.truncate();
                provider.reset().idempotent(true);
                String key = UUID.randomUUID().toString();
                try (HikariDataSource pool = proxiedPool(postgres, proxy);
                     Service dying = process(pool, provider, crashAt(step, Fault.KILL_HANDLER, proxy))) {
                    attempt(dying, key);
                }
                awaitLeaseEnd();

                try (HikariDataSource pool = proxiedPool(postgres, proxy); Service restarted = process(pool, provider, PaymentHooks.NONE)) {
                    int completed = new KeyCompleter(pool, restarted.store(), restarted.payments(), Duration.ZERO, 100).completeStuck();
                    HttpResponse<String> retry = IdempotencyKeysFixture.post(restarted.paymentsUri(), TENANT, key, PAYMENT);

                    assertThat(completed).as("keys completed after a death at %s", step).isEqualTo(step == Step.FINISHED ? 0 : 1);
                    assertThat(retry.statusCode()).as("the client's later retry after %s", step).isEqualTo(201);
                    assertThat(IdempotencyKeysFixture.replayed(retry)).as("answered from the key the completer finished").isTrue();
                    long providerKeyCharges = provider.executions(restarted.payments().providerKey(IdempotencyKeysFixture.keyId(key)));
                    assertThat(providerKeyCharges).as("charges").isEqualTo(1);
                    assertThat(IdempotencyKeysFixture.count("SELECT count(*) FROM staged_jobs")).as("receipts").isEqualTo(1);
                }
            }
        }
    }

    @Test
    void aProviderWithoutIdempotencyIsChargedAgainAfterADeathBetweenChargeAndRecord(PostgresBackend postgres, LabReport report)
            throws Exception {
        try (Downstream provider = IdempotencyKeysFixture.provider();
             FaultProxy proxy = FaultProxy.start("postgres", postgres.host(), postgres.port())) {
            IdempotencyKeysFixture.truncate();
            provider.idempotent(false);
            Case death = run(postgres, proxy, provider, Step.PROVIDER_ANSWERED, Fault.KILL_HANDLER);

            report.metric("non_idempotent_provider_duplicate_charges", death.charges() - 1, "charges",
                    "Charges beyond the first when the provider ignores keys and the process dies between its answer and the record "
                            + "(one death: a demonstration of the limit, fixed by the scenario).");
            assertThat(death.charges()).as("the resumed request cannot know the first call charged").isEqualTo(2);
            assertThat(death.payments()).as("payment rows").isEqualTo(1);
        }
    }

    private static Case crashThenRetry(PostgresBackend postgres, FaultProxy proxy, Downstream provider, Step step, Fault fault)
            throws Exception {
        IdempotencyKeysFixture.truncate();
        provider.reset().idempotent(true);
        return run(postgres, proxy, provider, step, fault);
    }

    /** One case: the first request meets the fault, then the client retries (on a new process if the first died). */
    private static Case run(PostgresBackend postgres, FaultProxy proxy, Downstream provider, Step step, Fault fault) throws Exception {
        String key = UUID.randomUUID().toString();
        HttpResponse<String> last;
        Outcome first;
        try (HikariDataSource pool = proxiedPool(postgres, proxy); Service process = process(pool, provider, crashAt(step, fault, proxy))) {
            first = attempt(process, key);
            proxy.resume();
            if (fault == Fault.CUT_DATABASE) {
                last = IdempotencyKeysFixture.postUntilAnswered(process.paymentsUri(), key, PAYMENT);
                return result(step, fault, first, provider, last);
            }
        }
        try (HikariDataSource pool = proxiedPool(postgres, proxy); Service restarted = process(pool, provider, PaymentHooks.NONE)) {
            last = IdempotencyKeysFixture.postUntilAnswered(restarted.paymentsUri(), key, PAYMENT);
            return result(step, fault, first, provider, last);
        }
    }

    /** The provider is fresh for each case, so every charge it made belongs to this payment. */
    private static Case result(Step step, Fault fault, Outcome first, Downstream provider, HttpResponse<String> last) {
        return new Case(step, fault, first.status(), IdempotencyKeysFixture.charges(provider),
                IdempotencyKeysFixture.count("SELECT count(*) FROM payments"),
                IdempotencyKeysFixture.count("SELECT count(*) FROM staged_jobs"), last);
    }

    private static Outcome attempt(Service process, String key) throws InterruptedException {
        try {
            return new Outcome(IdempotencyKeysFixture.post(process.paymentsUri(), TENANT, key, PAYMENT), null);
        } catch (IOException dropped) {
            return new Outcome(null, dropped);
        }
    }

    /** At {@code target}, once: the process dies, or every connection to PostgreSQL is reset (and new ones too, until resumed). */
    private static PaymentHooks crashAt(Step target, Fault fault, FaultProxy proxy) {
        AtomicBoolean fired = new AtomicBoolean();
        return step -> {
            if (step == target && fired.compareAndSet(false, true)) {
                if (fault == Fault.KILL_HANDLER) {
                    throw new SimulatedCrash(step);
                }
                proxy.reset();
            }
        };
    }

    private static Service process(HikariDataSource pool, Downstream provider, PaymentHooks hooks) {
        return IdempotencyKeysFixture.service(pool, provider, Options.defaults().lease(LEASE).hooks(hooks));
    }

    /** A process's own pool, through the proxy; a short connection timeout, so that a cut database fails a request in 250 ms. */
    private static HikariDataSource proxiedPool(PostgresBackend postgres, FaultProxy proxy) {
        IdempotencyKeysFixture.dataSource();
        return postgres.dataSource(NAMESPACE, config -> {
            config.setJdbcUrl("jdbc:postgresql://" + proxy.host() + ":" + proxy.port() + "/" + NAMESPACE.database());
            config.setMaximumPoolSize(4);
            config.setConnectionTimeout(250);
        });
    }

    /** Until the database clock is past every lease: a dead owner's key is free for the completer. */
    private static void awaitLeaseEnd() {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> IdempotencyKeysFixture.count(
                "SELECT count(*) FROM idempotency_keys WHERE locked_until > clock_timestamp()") == 0);
    }
}
