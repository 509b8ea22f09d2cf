package dev.backendlabs.shared.load;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LatencyRecorderTest {

    @Test
    void percentilesComeFromTheRecordedDistribution() {
        LatencyRecorder recorder = new LatencyRecorder();
        for (int ms = 1; ms <= 100; ms++) {
            recorder.recordNanos(TimeUnit.MILLISECONDS.toNanos(ms));
        }

        LatencySummary summary = recorder.summary();
        assertThat(summary.count()).isEqualTo(100);
        // Three significant digits: values are exact to within 0.1 %.
        assertThat(summary.p50Ms()).isCloseTo(50.0, within(0.1));
        assertThat(summary.p90Ms()).isCloseTo(90.0, within(0.1));
        assertThat(summary.p99Ms()).isCloseTo(99.0, within(0.1));
        assertThat(summary.maxMs()).isCloseTo(100.0, within(0.1));
        assertThat(summary.meanMs()).isCloseTo(50.5, within(0.1));
    }

    @Test
    void emptyRecorderSummarisesToZeroAndNegativeValuesClampToZero() {
        LatencyRecorder recorder = new LatencyRecorder();
        assertThat(recorder.summary().count()).isZero();
        recorder.recordNanos(-5);
        assertThat(recorder.summary().maxMs()).isZero();
        recorder.reset();
        assertThat(recorder.histogram().getTotalCount()).isZero();
    }
}
