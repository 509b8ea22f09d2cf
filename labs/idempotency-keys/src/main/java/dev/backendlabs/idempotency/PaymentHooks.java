package dev.backendlabs.idempotency;

/**
 * Called between the phases of a payment: where a process can die and leave a key behind. The lab's
 * tests crash, stall or cut the database here; in production they are where traces and metrics go.
 */
@FunctionalInterface
public interface PaymentHooks {

    PaymentHooks NONE = step -> { };

    /** Where a payment stands when {@link #reached} is called. */
    enum Step {
        /** The claim committed ({@code started}); the provider has not been called. */
        CLAIMED,
        /** The provider answered; nothing of its answer is recorded yet. */
        PROVIDER_ANSWERED,
        /** {@code charge_created} committed with the payment row. */
        CHARGE_RECORDED,
        /** {@code finished} committed with the stored answer; the client has not been answered yet. */
        FINISHED
    }

    void reached(Step step) throws InterruptedException;
}
