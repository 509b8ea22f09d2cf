package dev.backendlabs.shared.net;

/** Which way bytes flow through a {@link FaultProxy}; each direction has its own latency, bandwidth and byte budget. */
public enum Direction {
    /** Client to server: requests. */
    UPSTREAM,
    /** Server to client: responses. */
    DOWNSTREAM
}
