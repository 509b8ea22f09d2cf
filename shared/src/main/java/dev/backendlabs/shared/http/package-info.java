/**
 * A dependency a lab can break: {@link dev.backendlabs.shared.http.Downstream} is a real HTTP server on
 * loopback whose latency ({@link dev.backendlabs.shared.http.Latency}), error rates, outages
 * ({@link dev.backendlabs.shared.http.Outage}), bounded capacity and idempotency are set while traffic
 * flows, with per-route counters ({@link dev.backendlabs.shared.http.RouteStats});
 * {@link dev.backendlabs.shared.http.DownstreamClient} calls it with explicit timeouts.
 */
package dev.backendlabs.shared.http;
