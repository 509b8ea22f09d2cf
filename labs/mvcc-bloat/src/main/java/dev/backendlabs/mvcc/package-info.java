/**
 * MVCC bloat. Pattern classes start their javadoc with {@code THE PATTERN:}, naive variants with
 * {@code NAIVE:}; this package depends on drivers and libraries only, never on the labs' shared
 * test tooling, so that it can be lifted into a service as it is.
 */
package dev.backendlabs.mvcc;
