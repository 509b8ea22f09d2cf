package dev.backendlabs.ratelimit;

import dev.backendlabs.ratelimit.RateLimiterFixture.Admissions;
import dev.backendlabs.ratelimit.RateLimiterFixture.HotKeyLoad;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.RedisBackend;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.report.Charts;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.markers.SeriesMarkers;
import redis.clients.jedis.JedisPool;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 32 threads hammer one hot key, with a policy of 1,000 per second (bucket: capacity 100, refill
 * 1,000/s; fixed window: 1,000 per 1 s window).
 *
 * <ul>
 *   <li>Over 100,000 decisions the Lua bucket admits at most {@code capacity + rate × elapsed}
 *       (exact), elapsed being the Redis {@code TIME} span from right before the first decision to
 *       right after the last (see {@link HotKeyLoad#run}), and not fewer than that minus
 *       {@value #UNDER_ADMISSION_TOLERANCE} tokens.</li>
 *   <li>GCRA, the same limit kept as one number (burst 100, emission interval 1 ms), holds the
 *       same bound under the same load, with the same tolerance.</li>
 *   <li>The read-modify-write limiter, same arithmetic without atomicity, over-admits.</li>
 *   <li>One yardstick for the fixed window and the bucket: the most admissions in any 1 s span,
 *       both limiters in the same run, under the same load, started mid-window. The window's peak
 *       is far above the bucket's.</li>
 *   <li>The sliding log never admits more than its limit in any 1 s span, and the sliding counter does, both judged by
 *       the same count: admissions whose whole round trip lies inside the span.</li>
 *   <li>Bucket4j (compare-and-swap) does not over-admit; it runs fewer decisions, being slower.</li>
 * </ul>
 */
@Lab
class OverAdmissionTest {

    static final int THREADS = 32;
    static final long DECISIONS = 100_000;
    static final long BUCKET4J_DECISIONS = 20_000;
    static final BucketPolicy POLICY = BucketPolicy.perSecond(100, 1000);
    static final long WINDOW_LIMIT = 1000;
    /**
     * Tokens that may accrue unspent: a new bucket starts full and refill stops at capacity, so whatever accrues before
     * the 32 threads, released together, have spent the first 100 tokens is lost, and so is the refill of any pause
     * longer than the bucket takes to fill (100 ms) with every thread descheduled. The bracket itself adds under a
     * token (a round trip at each end). Measured with load average 11–14 on the 2 cores (other builds running): a
     * shortfall of 1–3 in seven runs, 30 in one where the first 100 admissions took 45 ms. The band is rate × 50 ms;
     * the old bracket around the whole thread pool, with no warm-up, needed 250.
     */
    static final long UNDER_ADMISSION_TOLERANCE = 50;
    /**
     * The fixed window's 1 s peak over the bucket's. Theory: 2 × 1,000 against 100 + 1,000, 1.82;
     * measured 1.82.
     */
    static final double PEAK_RATIO_FLOOR = 1.5;
    /**
     * Bucket4j refills by its client clock, which is {@code System.currentTimeMillis()} in distributed use (a nanoTime
     * means nothing across JVMs): a millisecond floor at the first decision can credit up to 1 ms of refill that the
     * microsecond server bracket does not contain, rate x 1 ms = 1 token here. Measured: 0 in most runs, 1 in one of
     * three on a loaded machine.
     */
    static final long BUCKET4J_CLOCK_RESOLUTION_TOKENS = 1;


    private static JedisPool pool;

    @BeforeAll
    static void openPool(RedisBackend redis) {
        pool = redis.newPool(THREADS, Duration.ofSeconds(2));
    }

    @AfterAll
    static void closePool() {
        pool.close();
    }

    @Test
    void luaTokenBucketNeverOverAdmitsUnderConcurrentClients(LabNamespace namespace, LabReport report) throws Exception {
        try (TokenBucketRateLimiter limiter = TokenBucketRateLimiter.builder(POLICY).pool(pool).build()) {
            HotKeyLoad.Result result = HotKeyLoad.run(limiter, hotKey(namespace, "hot"), THREADS, DECISIONS, pool);

            report.metric("token_bucket_overadmissions", result.overAdmissions(POLICY), "requests",
                    "Admissions above capacity + rate x elapsed by the Lua bucket, 32 threads, " + DECISIONS + " decisions on one key;"
                            + " elapsed is Redis TIME from right before the first decision to right after the last.");
            report.metric("token_bucket_shortfall", result.shortfall(POLICY), "requests",
                    "How far below that bound the Lua bucket stayed (tolerance " + UNDER_ADMISSION_TOLERANCE + ").");

            assertThat(result.decisions()).isEqualTo(DECISIONS);
            assertThat(result.overAdmissions(POLICY)).isZero();
            assertThat(result.shortfall(POLICY)).isLessThanOrEqualTo(UNDER_ADMISSION_TOLERANCE);
            assertThat(limiter.metrics().redisFailures()).isZero();
        }
    }

    @Test
    void gcraNeverOverAdmitsUnderConcurrentClients(LabNamespace namespace, LabReport report) throws Exception {
        try (GcraRateLimiter limiter = GcraRateLimiter.builder(POLICY).pool(pool).build()) {
            HotKeyLoad.Result result = HotKeyLoad.run(limiter, hotKey(namespace, "gcra"), THREADS, DECISIONS, pool);

            report.metric("gcra_overadmissions", result.overAdmissions(POLICY), "requests",
                    "Admissions above burst + rate x elapsed by GCRA (burst 100, emission interval 1 ms), same load and bracket.");
            report.metric("gcra_shortfall", result.shortfall(POLICY), "requests",
                    "How far below that bound GCRA stayed (tolerance " + UNDER_ADMISSION_TOLERANCE + ").");

            assertThat(result.decisions()).isEqualTo(DECISIONS);
            assertThat(result.overAdmissions(POLICY)).isZero();
            assertThat(result.shortfall(POLICY)).isLessThanOrEqualTo(UNDER_ADMISSION_TOLERANCE);
            assertThat(limiter.metrics().redisFailures()).isZero();
        }
    }

    @Test
    void readModifyWriteLimiterOverAdmitsUnderConcurrentClients(LabNamespace namespace, LabReport report) throws Exception {
        RateLimiter limiter = new ReadModifyWriteRateLimiter(pool, POLICY, Clock.systemUTC());

        HotKeyLoad.Result result = HotKeyLoad.run(limiter, hotKey(namespace, "hot"), THREADS, DECISIONS, pool);

        long over = result.overAdmissions(POLICY);
        report.metric("read_modify_write_overadmissions", over, "requests",
                "Admissions above capacity + rate x elapsed by HMGET, refill in Java, HSET; same policy, load and bracket (bound "
                        + result.bound(POLICY) + ").");
        assertThat(over).as("admitted %d, bound %d", result.admissions().count(), result.bound(POLICY)).isPositive();
    }

    @Test
    void fixedWindowPeaksFarAboveTheTokenBucketUnderTheSameLoad(LabNamespace namespace, LabReport report) throws Exception {
        FixedWindowRateLimiter window = new FixedWindowRateLimiter(pool, WINDOW_LIMIT, Duration.ofSeconds(1), Clock.systemUTC());
        try (TokenBucketRateLimiter bucket = TokenBucketRateLimiter.builder(POLICY).pool(pool).build()) {
            List<String> keys = List.of(hotKey(namespace, "window"), hotKey(namespace, "bucket"));
            HotKeyLoad.warmUp(List.of(window, bucket), keys, THREADS);
            startHalfwayThroughAWindow();

            // Both limiters in one run, decisions alternating between them: at least 100,000 decisions and 2.5 s, so the run
            // crosses two window boundaries.
            List<Admissions> admissions = HotKeyLoad.interleaved(List.of(window, bucket), keys,
                    LoadRunner.workers(THREADS).operations(DECISIONS).minimumDuration(Duration.ofMillis(2500)));

            long windowPeak = admissions.get(0).peakInAnySpan(1000);
            long bucketPeak = admissions.get(1).peakInAnySpan(1000);
            double boundaryRatio = (double) windowPeak / WINDOW_LIMIT;
            double peakRatio = (double) windowPeak / bucketPeak;
            report.metric("fixed_window_boundary_ratio", boundaryRatio, "x limit",
                    "Most fixed-window admissions in any 1 s span over its 1,000-per-window limit; the run starts mid-window on purpose.");
            report.metric("fixed_window_vs_bucket_peak_ratio", peakRatio, "x",
                    "Most admissions in any 1 s span, fixed window over token bucket (capacity 100, 1,000/s), same run and load"
                            + " (peaks " + windowPeak + " and " + bucketPeak + ").");
            assertThat(windowPeak).as("fixed window, most admissions in any 1 s span").isGreaterThan(WINDOW_LIMIT);
            assertThat(peakRatio).as("window peak %d over bucket peak %d", windowPeak, bucketPeak).isGreaterThan(PEAK_RATIO_FLOOR);
            report.chart("admitted-over-time.png", admittedOverTime(admissions.get(0), admissions.get(1)));
        }
    }

    @Test
    void slidingLogNeverExceedsItsLimitInAnySecondWhileTheCounterExceedsItAsItsEstimatePredicts(LabNamespace namespace,
                                                                                                   LabReport report) throws Exception {
        WindowPolicy perSecond = WindowPolicy.of(WINDOW_LIMIT, Duration.ofSeconds(1));
        FixedWindowRateLimiter window = new FixedWindowRateLimiter(pool, WINDOW_LIMIT, Duration.ofSeconds(1), Clock.systemUTC());
        try (TokenBucketRateLimiter bucket = TokenBucketRateLimiter.builder(POLICY).pool(pool).build();
             GcraRateLimiter gcra = GcraRateLimiter.builder(POLICY).pool(pool).build();
             SlidingWindowLogRateLimiter log = SlidingWindowLogRateLimiter.builder(perSecond).pool(pool).build();
             SlidingWindowCounterRateLimiter counter = SlidingWindowCounterRateLimiter.builder(perSecond).pool(pool).build()) {
            List<String> names = List.of("fixed window", "token bucket", "GCRA", "sliding log", "sliding counter");
            List<RateLimiter> limiters = List.of(window, bucket, gcra, log, counter);
            List<String> keys = names.stream().map(name -> hotKey(namespace, name.replace(' ', '-'))).toList();
            HotKeyLoad.warmUp(limiters, keys, THREADS);
            startHalfwayThroughAWindow();

            // All five in one run, decisions taking turns: at least 100,000 decisions and 2.5 s, two window boundaries.
            List<Admissions> admissions = HotKeyLoad.interleaved(limiters, keys,
                    LoadRunner.workers(THREADS).operations(DECISIONS).minimumDuration(Duration.ofMillis(2500)));

            // One yardstick for both claims: admissions certainly inside one 1 s span (whole round trip inside it). It cannot
            // show an over-admission that did not happen (the log's claim), nor hide one that did (the counter's).
            long logCertainPeak = admissions.get(3).certainPeakInAnySpan(1000);
            double windowRatio = (double) admissions.get(0).certainPeakInAnySpan(1000) / WINDOW_LIMIT;
            double counterRatio = (double) admissions.get(4).certainPeakInAnySpan(1000) / WINDOW_LIMIT;
            report.metric("sliding_log_overadmissions", Math.max(0, logCertainPeak - WINDOW_LIMIT), "requests",
                    "Admissions by the sliding log (1,000 per 1 s) beyond its limit in any 1 s span, counting only admissions whose"
                            + " whole round trip lies in the span; 32 threads, same run as the fixed window and the buckets.");
            report.metric("sliding_counter_peak_ratio", counterRatio, "x limit",
                    "Most sliding-counter admissions certainly inside one 1 s span (the same count) over its 1,000 limit, same run,"
                            + " started mid-window (the fixed window: " + windowRatio + ").");
            ReportTable table = ReportTable.of("Most admissions in any 1 s span, five limiters in one run (32 threads, "
                    + "1,000 per second each; buckets: capacity 100)", "limiter", "admitted", "peak in any 1 s", "certain peak",
                    "certain peak / 1,000");
            for (int i = 0; i < names.size(); i++) {
                Admissions each = admissions.get(i);
                table.row(names.get(i), each.count(), each.peakInAnySpan(1000), each.certainPeakInAnySpan(1000),
                        (double) each.certainPeakInAnySpan(1000) / WINDOW_LIMIT);
            }
            report.table(table);
            report.chart("windows-admitted-over-time.png", windowsOverTime(names, admissions));

            assertThat(logCertainPeak).as("sliding log, admissions certainly inside one 1 s span").isLessThanOrEqualTo(WINDOW_LIMIT);
            assertThat(counterRatio).as("sliding counter, certain peak: above its limit, below the fixed window's (%s)", windowRatio)
                    .isGreaterThan(1).isLessThan(windowRatio);
        }
    }

    @Test
    void bucket4jDoesNotOverAdmitUnderConcurrentClients(LabNamespace namespace, LabReport report) throws Exception {
        RateLimiter limiter = new Bucket4jRateLimiter(pool, POLICY);

        HotKeyLoad.Result result = HotKeyLoad.run(limiter, hotKey(namespace, "bucket4j"), THREADS, BUCKET4J_DECISIONS, pool);

        report.metric("bucket4j_overadmissions", result.overAdmissions(POLICY), "requests",
                "Admissions above capacity + rate x elapsed by Bucket4j's Jedis CAS backend, 32 threads, " + BUCKET4J_DECISIONS
                        + " decisions, same bracket; its millisecond client clock allows 1.");
        assertThat(result.overAdmissions(POLICY)).as("over-admissions beyond Bucket4j's clock resolution")
                .isLessThanOrEqualTo(BUCKET4J_CLOCK_RESOLUTION_TOKENS);
    }

    private static String hotKey(LabNamespace namespace, String limiter) {
        return namespace.redisKey(limiter, UUID.randomUUID().toString());
    }

    /** The traffic starts mid-window: the fixed window's worst case, engineered on purpose. A run from a boundary hides the doubling. */
    private static void startHalfwayThroughAWindow() throws InterruptedException {
        long now = System.currentTimeMillis();
        TimeUnit.MILLISECONDS.sleep((1500 - now % 1000) % 1000);
    }

    private static XYChart windowsOverTime(List<String> names, List<Admissions> admissions) {
        XYChart chart = Charts.line("Admitted over time, 1,000/s policies, 32 threads, five limiters in one run",
                "time since the first admission (ms)", "admitted so far (requests)");
        long origin = admissions.stream().mapToLong(each -> each.answeredMillis()[0]).min().orElseThrow();
        for (int i = 0; i < names.size(); i++) {
            addCumulative(chart, names.get(i), admissions.get(i).answeredMillis(), origin);
        }
        return chart;
    }

    private static XYChart admittedOverTime(Admissions window, Admissions bucket) {
        XYChart chart = Charts.line("Admitted over time, 1,000/s policy, 32 threads, both limiters in one run",
                "time since the first admission (ms)", "admitted so far (requests)");
        long origin = Math.min(window.answeredMillis()[0], bucket.answeredMillis()[0]);
        addCumulative(chart, "fixed window, 1,000 per 1 s window", window.answeredMillis(), origin);
        addCumulative(chart, "token bucket, capacity 100, 1,000/s", bucket.answeredMillis(), origin);
        return chart;
    }

    /** Cumulative admissions, one point per 10 ms over the first 3 s or until the run ended. */
    private static void addCumulative(XYChart chart, String name, long[] millis, long origin) {
        long end = millis.length == 0 ? 0 : millis[millis.length - 1] - origin;
        int points = (int) Math.min(300, end / 10 + 2);
        double[] x = new double[points];
        double[] y = new double[points];
        int index = 0;
        for (int p = 0; p < points; p++) {
            long until = p * 10L;
            while (index < millis.length && millis[index] - origin <= until) {
                index++;
            }
            x[p] = until;
            y[p] = index;
        }
        chart.addSeries(name, x, y).setMarker(SeriesMarkers.NONE);
    }
}
