package dev.backendlabs.shared.http;

import dev.backendlabs.shared.load.LatencySummary;

/**
 * What one route of a {@link Downstream} has done since it started (or was reset). Every arrival
 * ends in exactly one outcome, so {@code arrivals == inFlight + answered()}; counters are read one
 * after the other, so under traffic a snapshot is not a single instant.
 *
 * @param route     the path
 * @param arrivals  requests received
 * @param inFlight  requests received and not yet answered (held by a hang, queued or working)
 * @param served    work done and answered 2xx
 * @param failed    work done and answered otherwise: the handler's own error status, or 500 when it threw
 * @param errors    answered with an injected status (error rate or fail-fast outage) without any work
 * @param rejected  answered 503 at once because the queue was full
 * @param timedOut  waited in the queue past its timeout, did its full work anyway, then answered 503
 * @param shed      waited in the queue past its timeout and answered 503 without work ({@code shedExpired})
 * @param replayed  answered from the idempotency store without work
 * @param conflicts answered 409 without work because the first request with the same key was still in progress
 * @param latency   time from arrival to answer, over every outcome
 */
public record RouteStats(String route, long arrivals, long inFlight, long served, long failed, long errors, long rejected,
                         long timedOut, long shed, long replayed, long conflicts, LatencySummary latency) {

    /** Requests answered, in any outcome. */
    public long answered() {
        return served + failed + errors + rejected + timedOut + shed + replayed + conflicts;
    }

    /** Requests whose work was done (a worker held for a service time and the handler run), whatever they were answered. */
    public long executed() {
        return served + failed + timedOut;
    }
}
