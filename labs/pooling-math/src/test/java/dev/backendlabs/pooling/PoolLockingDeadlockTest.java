package dev.backendlabs.pooling;

import com.zaxxer.hikari.HikariDataSource;
import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.junit.Lab;
import dev.backendlabs.shared.load.LoadResult;
import dev.backendlabs.shared.load.LoadRunner;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportTable;
import org.junit.jupiter.api.Test;

import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pool-locking: {@link RequiresNewAudit} holds two connections per thread. At the worst moment —
 * every thread holding its first connection before any asks for its second, which a barrier in
 * the hook arranges — a pool smaller than {@code Tn·(Cm−1)+1} has no connection left for anyone's
 * second borrow: the threads deadlock until the first {@code connectionTimeout} breaks it (a
 * thread that gives up returns its first connection, which may let another finish). At that
 * size one thread always gets its second connection, finishes and frees two. Without the barrier the same pool sizes run a random
 * schedule, where the minimum pool never times out either.
 */
@Lab
class PoolLockingDeadlockTest {

    private static final int THREADS = 4;
    private static final int CONNECTIONS_PER_THREAD = 2;
    private static final int TIMEOUT_MS = 250;

    @Test
    void twoConnectionsPerThreadTimeOutBelowTnTimesCmMinusOnePlusOneAndNeverAtIt(Scale scale, LabReport report) throws Exception {
        PoolingMathFixture.workload();
        int minimum = PoolMath.deadlockFreeMinimum(THREADS, CONNECTIONS_PER_THREAD);
        int rounds = scale.pick(2, 20);
        Map<Integer, int[]> timeoutsBySize = new LinkedHashMap<>();
        for (int size = 1; size <= minimum + 1; size++) {
            timeoutsBySize.put(size, worstCaseTimeouts(size, rounds));
        }
        int deadlockFree = timeoutsBySize.entrySet().stream().filter(entry -> entry.getValue()[0] == 0).mapToInt(Map.Entry::getKey).min()
                .orElse(Integer.MAX_VALUE);
        LoadResult random = randomSchedule(minimum, scale.pick(400, 4_000));

        report.metric("deadlock_free_min_pool", deadlockFree, "connections", "Smallest pool with no timeout when " + THREADS
                + " threads each hold " + CONNECTIONS_PER_THREAD + " connections, all lined up at the worst moment; the formula gives "
                + minimum + ".");
        ReportTable table = ReportTable.of("Pool-locking: " + THREADS + " threads × " + CONNECTIONS_PER_THREAD
                + " connections, worst-case schedule, " + rounds + " rounds", "pool", "rounds with a timeout", "threads timed out", "of");
        timeoutsBySize.forEach((size, timeouts) -> table.row(size, timeouts[0], timeouts[1], rounds * THREADS));
        report.table(table);
        assertThat(deadlockFree).as("smallest pool without timeouts").isEqualTo(minimum);
        timeoutsBySize.forEach((size, timeouts) -> {
            if (size < minimum) {
                assertThat(timeouts[0]).as("pool %d, below the minimum: every round deadlocks until a timeout", size).isEqualTo(rounds);
            }
        });
        assertThat(random.errors()).as("random schedule at the minimum pool of %d", minimum).isZero();
    }

    /** {rounds with a timeout, threads timed out}, with all threads lined up between their two borrows in every round. */
    private static int[] worstCaseTimeouts(int poolSize, int rounds) throws Exception {
        int[] timeouts = new int[2];
        try (HikariDataSource pool = PoolingMathFixture.filledPool(poolSize, config -> config.setConnectionTimeout(TIMEOUT_MS));
             ExecutorService threads = Executors.newFixedThreadPool(THREADS)) {
            for (int round = 0; round < rounds; round++) {
                Phaser lineUp = new Phaser(THREADS);
                List<Future<Boolean>> outcomes = new ArrayList<>();
                for (int thread = 0; thread < THREADS; thread++) {
                    int account = 1 + thread;
                    outcomes.add(threads.submit(() -> transferOrTimeOut(pool, lineUp, account)));
                }
                int failed = 0;
                for (Future<Boolean> outcome : outcomes) {
                    failed += outcome.get() ? 0 : 1;
                }
                timeouts[0] += failed > 0 ? 1 : 0;
                timeouts[1] += failed;
            }
        }
        return timeouts;
    }

    /**
     * One transfer whose hook waits until every thread holds its first connection; true if it
     * completed, false if a borrow timed out. A thread whose first borrow timed out never reached
     * the line-up and leaves it, so that the others are not kept waiting for it.
     */
    private static boolean transferOrTimeOut(HikariDataSource pool, Phaser lineUp, int account) throws Exception {
        AtomicBoolean holdingFirst = new AtomicBoolean();
        RequiresNewAudit audit = new RequiresNewAudit(pool, () -> {
            holdingFirst.set(true);
            try {
                lineUp.awaitAdvanceInterruptibly(lineUp.arrive(), 10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new IllegalStateException("the other threads never lined up", e);
            }
        });
        try {
            audit.transfer(account, 1);
            return true;
        } catch (SQLTransientConnectionException e) {
            if (!holdingFirst.get()) {
                lineUp.arriveAndDeregister();
            }
            return false;
        }
    }

    private static LoadResult randomSchedule(int poolSize, int transfers) throws Exception {
        try (HikariDataSource pool = PoolingMathFixture.filledPool(poolSize, config -> config.setConnectionTimeout(TIMEOUT_MS))) {
            RequiresNewAudit audit = new RequiresNewAudit(pool, () -> { });
            return LoadRunner.workers(THREADS).operations(transfers).run((thread, sequence) -> audit.transfer(1 + thread, 1));
        }
    }
}
