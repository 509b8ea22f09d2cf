package dev.backendlabs.idempotency;

/**
 * Which answers a key keeps. Validation failures (400), conflicts (409) and mismatches (422) are
 * never stored in either mode: nothing ran.
 */
public enum ErrorCaching {

    /**
     * Success (2xx) and deterministic refusals (a declined card, 402) are final and stored; a provider failure or
     * timeout (502, 504) releases the key, so a retry with the same key runs again — the default of the Quarkus
     * extension, and what Checkout.com and PPRO do. A timed-out charge may have happened: the retry resends the same
     * provider key and learns the outcome.
     */
    SUCCESS_AND_DETERMINISTIC,

    /**
     * Every answer once execution began is final and replayed, 5xx included: Stripe's v1 behaviour. The client must
     * use a new key to try again, and a charge that timed out is never resolved through this key.
     */
    STORE_EVERYTHING
}
