package dev.backendlabs.idempotency;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;

/**
 * The ways to make one payment intent, from no idempotency at all to a replay: what
 * {@code FastPathOverheadExperimentTest} and {@code IdempotencyBenchmark} compare, on the same pool,
 * table and request. Each call uses a key no other call used, except {@link #REPLAY}.
 */
public enum IdempotencyVariant {

    /** The bare handler: the intent's INSERT, one transaction, no key — the baseline. */
    BARE_INSERT {
        @Override
        public ApiResponse run(Target target, long sequence) throws SQLException {
            return target.store.inTransaction(connection -> PaymentIntents.create(connection, Target.TENANT, target.request, null));
        }
    },

    /** The local-only fast path: the key's claim, the intent and the stored answer in one transaction. */
    FAST_PATH {
        @Override
        public ApiResponse run(Target target, long sequence) throws SQLException {
            KeyScope scope = target.scope(sequence);
            return target.fastPath.execute(scope, target.fingerprint(scope),
                    (connection, keyId) -> PaymentIntents.create(connection, Target.TENANT, target.request, keyId));
        }
    },

    /**
     * The recovery-point path's database cost without the provider: the claim committed on its own, then the intent
     * and the finish in a second transaction — two commits instead of one.
     */
    CLAIM_AND_COMPLETE {
        @Override
        public ApiResponse run(Target target, long sequence) throws SQLException {
            KeyScope scope = target.scope(sequence);
            if (!(target.store.claim(scope, target.fingerprint(scope)) instanceof Claim.Owned owned)) {
                throw new IllegalStateException("A new key was not claimed: " + scope);
            }
            return target.store.inTransaction(connection -> {
                ApiResponse created = PaymentIntents.create(connection, Target.TENANT, target.request, owned.lease().keyId());
                target.store.finish(connection, owned.lease(), created);
                return created;
            });
        }
    },

    /** A retry of a finished key: the claim's insert conflicts, the stored answer is read and returned. */
    REPLAY {
        @Override
        public ApiResponse run(Target target, long sequence) throws SQLException {
            return target.fastPath.execute(target.replayScope, target.fingerprint(target.replayScope), (connection, keyId) -> {
                throw new IllegalStateException("A replay ran the work again");
            });
        }
    };

    /** Makes one intent (or replays one) the way this variant does. */
    public abstract ApiResponse run(Target target, long sequence) throws SQLException;

    /** What every variant runs against: one store on the caller's pool, one request, and one finished key to replay. */
    public static final class Target {

        static final String TENANT = "tenant-bench";

        private final IdempotencyStore store;
        private final SingleTransactionIdempotency fastPath;
        private final PaymentRequest request;
        private final String keyPrefix = UUID.randomUUID() + "-";
        private final KeyScope replayScope;

        /** The pool is the caller's; the lab's tables must exist in its database. */
        public Target(DataSource dataSource) throws SQLException {
            this.store = new IdempotencyStore(dataSource, Duration.ofSeconds(30), Duration.ofSeconds(2));
            this.fastPath = new SingleTransactionIdempotency(store);
            try {
                this.request = PaymentRequest.parse("{\"amount\": 1250, \"currency\": \"EUR\", \"destination\": \"acct_42\"}"
                        .getBytes(StandardCharsets.UTF_8));
            } catch (InvalidRequestException e) {
                throw new IllegalStateException(e);
            }
            this.replayScope = scope(-1);
            FAST_PATH.run(this, -1);
        }

        KeyScope scope(long sequence) {
            return new KeyScope(TENANT, "POST", PaymentIntents.ROUTE, keyPrefix + sequence);
        }

        Fingerprint fingerprint(KeyScope scope) {
            return Fingerprint.of(scope, request.canonicalJson());
        }
    }
}
