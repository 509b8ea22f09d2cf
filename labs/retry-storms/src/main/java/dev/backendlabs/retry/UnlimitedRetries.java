package dev.backendlabs.retry;

import java.util.concurrent.atomic.LongAdder;

/**
 * NAIVE: every failure may be retried, up to the attempt limit — resilience4j's {@code Retry} on its own, which has no
 * budget. When the dependency is down, every call makes all its attempts: 4 attempts multiply the load by 4, at every
 * layer that retries, exactly when the dependency can least take it.
 */
public final class UnlimitedRetries implements RetryAllowance {

    private final LongAdder granted = new LongAdder();

    @Override
    public boolean tryAcquireRetry() {
        granted.increment();
        return true;
    }

    @Override
    public void onSuccess() {
    }

    @Override
    public long retriesGranted() {
        return granted.sum();
    }

    @Override
    public long retriesDenied() {
        return 0;
    }
}
