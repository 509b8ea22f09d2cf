/**
 * Retry storms and what stops them. The pieces a service lifts: {@link dev.backendlabs.retry.FullJitterBackoff}
 * (capped exponential backoff with full jitter), {@link dev.backendlabs.retry.RetryBudget} (a token bucket that
 * retries spend and successes refill), {@link dev.backendlabs.retry.RetryPolicy} (resilience4j's Retry, the budget
 * and an optional circuit breaker around one call) and {@link dev.backendlabs.retry.HopClient} (the JDK HttpClient
 * calling the next service, retrying only what is safe to retry). The naive variants they replace sit beside them:
 * {@link dev.backendlabs.retry.ExponentialBackoff} and {@link dev.backendlabs.retry.FixedBackoff} without jitter,
 * {@link dev.backendlabs.retry.CapAfterJitterBackoff} (resilience4j's randomized backoff, capped after randomizing)
 * and {@link dev.backendlabs.retry.UnlimitedRetries} (no budget). This package depends on resilience4j only, never
 * on the labs' shared test tooling, so that it can be lifted into a service as it is.
 */
package dev.backendlabs.retry;
