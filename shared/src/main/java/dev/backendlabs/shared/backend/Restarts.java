package dev.backendlabs.shared.backend;

import io.github.resilience4j.core.functions.CheckedSupplier;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;

import java.time.Duration;

/**
 * Starting a server again on the address its clients already hold. The port of a server that
 * just stopped can stay busy for a moment (a socket in TIME_WAIT, a child process still exiting),
 * so a start is retried every {@value #INTERVAL_MS} ms until the timeout; the last failure is
 * rethrown, naming what did not start.
 */
final class Restarts {

    private static final long INTERVAL_MS = 200;

    private Restarts() {
    }

    static <T> T retry(String what, Duration timeout, CheckedSupplier<T> start) {
        int attempts = (int) Math.max(2, timeout.toMillis() / INTERVAL_MS);
        Retry retry = Retry.of(what, RetryConfig.custom()
                .maxAttempts(attempts)
                .waitDuration(Duration.ofMillis(INTERVAL_MS))
                .retryExceptions(Exception.class)
                .build());
        try {
            return retry.executeCheckedSupplier(start);
        } catch (RuntimeException e) {
            throw new IllegalStateException(what + " did not start within " + timeout, e);
        } catch (Throwable e) {
            throw new IllegalStateException(what + " did not start within " + timeout, e);
        }
    }
}
