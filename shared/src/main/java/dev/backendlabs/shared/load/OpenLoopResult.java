package dev.backendlabs.shared.load;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What an {@link OpenLoopRunner} run did.
 *
 * @param offeredPerSecond  the arrival rate asked for
 * @param achievedPerSecond successful requests per second, from the start of the run to the last completion
 * @param scheduled         arrivals in the schedule
 * @param dropped           arrivals not started because the concurrency cap was reached
 * @param completed         requests that finished, successfully or not
 * @param errors            requests that threw
 * @param errorsByType      failed requests per exception class name
 * @param unfinished        requests still running when the drain timeout ended the run
 * @param elapsed           from the start of the run to the last completion
 * @param maxDispatchLag    how late the dispatcher started its latest arrival: near 0 means the load really was open-loop
 * @param latency           from each request's intended start to its completion (failed ones included)
 * @param serviceTime       from each request's actual start to its completion
 * @param timeline          per-bucket counts, if {@link OpenLoopRunner#timeline} was set
 */
public record OpenLoopResult(double offeredPerSecond, double achievedPerSecond, long scheduled, long dropped, long completed,
                             long errors, Map<String, Long> errorsByType, long unfinished, Duration elapsed, Duration maxDispatchLag,
                             LatencySummary latency, LatencySummary serviceTime, List<Bucket> timeline) {

    public long successes() {
        return completed - errors;
    }

    /** Successful requests as a share of every arrival, in percent. */
    public double successPercent() {
        return scheduled == 0 ? 0 : 100.0 * successes() / scheduled;
    }

    /**
     * One slice of the run by intended start time.
     *
     * @param startSeconds start of the slice, in seconds from the start of the run
     * @param latency      latency of the requests of this slice that completed
     */
    public record Bucket(double startSeconds, long arrivals, long successes, long errors, long dropped, LatencySummary latency) {

        /** Successful requests as a share of this slice's arrivals, in percent (100 for an empty slice). */
        public double successPercent() {
            return arrivals == 0 ? 100 : 100.0 * successes / arrivals;
        }
    }
}
