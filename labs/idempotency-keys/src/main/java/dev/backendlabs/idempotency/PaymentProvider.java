package dev.backendlabs.idempotency;

/** The foreign side effect: a card network, a PSP, a bank — anything whose state this database cannot roll back. */
@FunctionalInterface
public interface PaymentProvider {

    /**
     * Charges {@code payment}, telling the provider that every call with the same {@code idempotencyKey} is the same
     * charge. Never throws for the provider's own failures: they are a {@link ProviderResult.Failed}.
     */
    ProviderResult charge(PaymentRequest payment, String idempotencyKey);

    /** What a charge attempt gave. */
    sealed interface ProviderResult {

        /** The provider charged; {@code chargeId} is its reference. */
        record Charged(String chargeId) implements ProviderResult {
        }

        /** A deterministic refusal (a declined card: 4xx): the same request will be refused again, so the answer is final. */
        record Declined(int status, String reason) implements ProviderResult {
        }

        /**
         * No answer, or a transient one (5xx, 409 in progress, 429, a timeout, a reset connection): the charge may or may
         * not have happened. Retrying with the same provider key is safe if the provider honours the key.
         */
        record Failed(String reason, boolean timedOut) implements ProviderResult {
        }
    }
}
