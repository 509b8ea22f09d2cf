/**
 * Connection-pool math: how many connections a database wants (a few per core, not one per
 * thread), what Little's law says a pool can carry, and the code shapes that break a pool — a
 * transaction held across a remote call, a leaked connection, two connections per thread,
 * session state behind a transaction pooler. Pattern classes start their javadoc with
 * {@code THE PATTERN:}, naive variants with {@code NAIVE:}; this package depends on JDBC only,
 * never on the labs' shared test tooling, so that it can be lifted into a service as it is.
 */
package dev.backendlabs.pooling;
