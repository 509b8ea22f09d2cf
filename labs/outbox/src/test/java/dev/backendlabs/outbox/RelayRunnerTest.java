package dev.backendlabs.outbox;

import dev.backendlabs.shared.backend.KafkaBackend;
import dev.backendlabs.shared.junit.Lab;
import io.github.resilience4j.core.IntervalFunction;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay's run loop: its backoff keeps retries spread out at the cap (where resilience4j's
 * randomize-then-cap function puts every relay on the same beat), and a failed pass is logged,
 * counted and kept as the last failure instead of disappearing.
 */
@Lab
class RelayRunnerTest {

    private static final Duration INITIAL = Duration.ofMillis(50);
    private static final Duration CAP = Duration.ofSeconds(1);

    @Test
    void fullJitterKeepsRetriesSpreadOutAtTheCap() {
        // Two relays that draw 0.25 and 0.75: the draws stand for any two different random values.
        IntervalFunction early = new FullJitterBackoff(INITIAL, 2.0, CAP, () -> 0.25);
        IntervalFunction late = new FullJitterBackoff(INITIAL, 2.0, CAP, () -> 0.75);

        for (int attempt = 6; attempt <= 40; attempt++) { // 50 ms × 2^5 = 1,600 ms: capped from attempt 6 on
            assertThat(early.apply(attempt)).as("attempt %d, draw 0.25", attempt).isEqualTo(250);
            assertThat(late.apply(attempt)).as("attempt %d, draw 0.75", attempt).isEqualTo(750);
        }
        assertThat(List.of(early.apply(1), early.apply(2), early.apply(3))).as("below the cap: the draw times 50, 100, 200 ms")
                .containsExactly(12L, 25L, 50L);
        assertThat(new FullJitterBackoff(INITIAL, 2.0, CAP, () -> Math.nextDown(1.0)).apply(40)).as("never above the cap")
                .isLessThan(1_000);

        // What it replaces: resilience4j randomizes, then caps. From attempt 7 on (3,200 ms × [0.5, 1.5] > 1 s) every draw is the cap.
        IntervalFunction randomizeThenCap = IntervalFunction.ofExponentialRandomBackoff(INITIAL, 2.0, 0.5, CAP);
        assertThat(IntStream.range(0, 1_000).mapToLong(i -> randomizeThenCap.apply(7 + i % 30)).distinct().boxed().toList())
                .as("resilience4j at the cap: lockstep").containsExactly(1_000L);
    }

    @Test
    void aFailedPassIsLoggedCountedAndKeptAsTheLastFailure(KafkaBackend kafka) throws Exception {
        String topic = OutboxFixture.freshTopic(kafka);
        OutboxFixture.writeSequencedEvents(300);
        AtomicInteger failures = new AtomicInteger();
        BatchRelay.Hooks failTwice = new BatchRelay.Hooks() {
            @Override
            public void afterClaim(List<PendingEvent> claimed) {
                if (failures.getAndIncrement() < 2) {
                    throw new IllegalStateException("broker said no (injected " + failures.get() + ")");
                }
            }
        };
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8)); // slf4j-simple writes to the current System.err
        boolean drained;
        RelayRunner runner = new RelayRunner(OutboxFixture.relay(kafka, topic).hooks(failTwice).build(), "relay-failing",
                Duration.ofMillis(20), CAP);
        try {
            drained = OutboxFixture.eventually(Duration.ofSeconds(30), Duration.ofMillis(20),
                    () -> OutboxBacklog.of(OutboxFixture.dataSource()).events() == 0);
        } finally {
            runner.close();
            System.setErr(stderr);
        }

        assertThat(drained).as("the relay recovered and drained the outbox").isTrue();
        assertThat(runner.failedPasses()).isEqualTo(2);
        assertThat(runner.lastFailure()).hasValueSatisfying(failure -> {
            assertThat(failure.cause()).isInstanceOf(IllegalStateException.class).hasMessage("broker said no (injected 2)");
            assertThat(failure.at()).isNotNull();
        });
        assertThat(log.toString(StandardCharsets.UTF_8))
                .contains("relay relay-failing: pass failed, the batch stays in the outbox")
                .contains("java.lang.IllegalStateException: broker said no (injected 1)")
                .contains("relay relay-failing: pass failed again (2 in a row)")
                .contains("relay relay-failing: recovered after 2 failed passes");
    }
}
