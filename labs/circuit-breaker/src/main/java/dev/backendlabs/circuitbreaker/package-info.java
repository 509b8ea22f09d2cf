/**
 * A caller that stays alive when its dependency dies. {@link dev.backendlabs.circuitbreaker.QuoteServer} is a small HTTP
 * service with a bounded worker pool and two endpoints: {@code /quote} calls a dependency through a
 * {@link dev.backendlabs.circuitbreaker.QuoteClient}, {@code /health-of-catalog} does not. With the naive
 * {@link dev.backendlabs.circuitbreaker.TimeoutOnlyQuoteClient} a slow dependency takes every worker and the independent
 * endpoint fails with it; with {@link dev.backendlabs.circuitbreaker.CircuitBreakerQuoteClient} (resilience4j Retry,
 * Bulkhead, CircuitBreaker and TimeLimiter, configured in {@link dev.backendlabs.circuitbreaker.QuoteGuards}) it does not.
 *
 * <p>Pattern classes start their javadoc with {@code THE PATTERN:}, naive variants with {@code NAIVE:}; this package
 * depends on the JDK and resilience4j only, never on the labs' shared test tooling, so that it can be lifted into a
 * service as it is.
 */
package dev.backendlabs.circuitbreaker;
