/**
 * What every lab shares: the run's {@link dev.backendlabs.shared.Scale}, and in sub-packages the
 * backends, the load and latency tools, the reports and the JUnit extension.
 */
package dev.backendlabs.shared;
