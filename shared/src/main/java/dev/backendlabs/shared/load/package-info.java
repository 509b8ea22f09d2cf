/**
 * Load generation and latency measurement: {@link dev.backendlabs.shared.load.LoadRunner} drives
 * N concurrent workers bounded by count and/or time; {@link dev.backendlabs.shared.load.LatencyRecorder}
 * records into HdrHistogram.
 */
package dev.backendlabs.shared.load;
