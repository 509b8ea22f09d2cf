package dev.backendlabs.idempotency;

import java.util.Map;

/** What claiming a key gave: ownership, or an answer for the client without running anything. */
public sealed interface Claim {

    /** This request owns the key and runs from {@code recoveryPoint}: new ({@code started}), or resumed after a release or a crash. */
    record Owned(Lease lease, RecoveryPoint recoveryPoint) implements Claim {
    }

    /** A claim that is answered at once. */
    sealed interface Answered extends Claim {
        ApiResponse response();
    }

    /** The key finished: its stored answer, marked {@code Idempotent-Replayed: true}. */
    record Replay(ApiResponse response) implements Answered {
    }

    /**
     * Another request holds the key (its lease runs), or its row is locked past {@code lock_timeout}: 409 with
     * {@code Retry-After}. One second, not the lease: the request in flight usually ends within it; the lease only
     * bounds how long a crashed owner keeps the key.
     */
    record InFlight(String detail) implements Answered {
        @Override
        public ApiResponse response() {
            return ApiResponse.problem(409, "idempotency-key-in-use", "Request in progress", detail, Map.of("Retry-After", "1"));
        }
    }

    /** The key was first used with another request (its fingerprint differs): 422, nothing runs. */
    record Mismatch() implements Answered {
        @Override
        public ApiResponse response() {
            return ApiResponse.problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                    "This Idempotency-Key was used with a different request; use a new key for a new request.", Map.of());
        }
    }
}
