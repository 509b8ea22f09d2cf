/**
 * Network faults between a client and a real server: {@link dev.backendlabs.shared.net.FaultProxy} is a TCP proxy in this
 * JVM that adds latency, limits bandwidth, blackholes, stalls, resets or refuses on command, so that a lab shows what
 * its client does when the network, not the server, fails.
 */
package dev.backendlabs.shared.net;
