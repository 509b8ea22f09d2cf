package dev.backendlabs.shared.backend;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry with fake servers: starts are memoized, failures remembered, and stopping never
 * waits for a start in progress — the lock-order inversion that let Ctrl-C during start-up
 * deadlock the shutdown hook and orphan embedded processes.
 */
class ServerRegistryTest {

    private final List<String> console = Collections.synchronizedList(new ArrayList<>());
    private final ServerRegistry registry = new ServerRegistry(BackendSettings.of(Map.of(BackendSettings.MODE, "embedded")),
            Optional::empty, () -> false, console::add);
    /** Its own threads: the common pool has one thread on a two-core machine, and these tasks block. */
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    @Test
    void startsEachKindOnceForConcurrentCallers() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        ServerKind<FakeServer> kind = kind("fake", () -> {
            starts.incrementAndGet();
            pause(50);
            return new FakeServer("fake");
        }, new AtomicInteger());

        List<CompletableFuture<FakeServer>> callers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            callers.add(inBackground(() -> registry.get(kind)));
        }

        FakeServer first = callers.getFirst().get(5, TimeUnit.SECONDS);
        for (CompletableFuture<FakeServer> caller : callers) {
            assertThat(caller.get(5, TimeUnit.SECONDS)).isSameAs(first);
        }
        assertThat(starts).hasValue(1);
        assertThat(registry.started()).hasSize(1);
        assertThat(console).singleElement().asString().startsWith("backend: fake 1.0 (embedded, fake:1), started in");
    }

    @Test
    void stopAllReturnsWhileAStartIsInProgressAndTheLateServerIsStoppedLater() throws Exception {
        SlowStart slow = slowStartInProgress();

        inBackground(() -> {
            registry.stopAll();
            return null;
        }).get(2, TimeUnit.SECONDS);

        slow.release().countDown();
        assertThat(slow.caller().get(5, TimeUnit.SECONDS).name()).isEqualTo("slow");
        registry.stopAll();
        assertThat(slow.stops()).as("the server that finished starting after the first stopAll").hasValue(1);
    }

    @Test
    void shutdownDuringAStartStopsTheServerAsSoonAsItIsUpAndFailsTheCaller() throws Exception {
        SlowStart slow = slowStartInProgress();

        inBackground(() -> {
            registry.shutdown();
            return null;
        }).get(2, TimeUnit.SECONDS);
        slow.release().countDown();
        CompletableFuture<FakeServer> caller = slow.caller();
        AtomicInteger stops = slow.stops();

        assertThatThrownBy(() -> caller.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(BackendStartException.class)
                .hasMessageContaining("shutting down");
        assertThat(stops).hasValue(1);
    }

    @Test
    void aFailedStartIsRememberedAndRethrownWithoutRetrying() {
        AtomicInteger starts = new AtomicInteger();
        ServerKind<FakeServer> broken = kind("broken", () -> {
            starts.incrementAndGet();
            throw new IllegalStateException("port in use");
        }, new AtomicInteger());

        assertThatThrownBy(() -> registry.get(broken)).isInstanceOf(BackendStartException.class)
                .hasMessageContaining("broken").hasMessageContaining("'embedded'").hasMessageContaining("port in use");
        assertThatThrownBy(() -> registry.get(broken)).isInstanceOf(BackendStartException.class);
        assertThat(starts).hasValue(1);
    }

    @Test
    void aKindMayAskForTheServerItDependsOnWhileItStarts() {
        ServerKind<FakeServer> database = kind("database", () -> new FakeServer("database"), new AtomicInteger());
        ServerKind<FakeServer> proxy = kind("proxy", () -> new FakeServer("proxy in front of " + registry.get(database).name()),
                new AtomicInteger());

        assertThat(registry.get(proxy).name()).isEqualTo("proxy in front of database");
        assertThat(registry.started()).extracting(started -> started.backend().name())
                .containsExactly("database", "proxy in front of database");
    }

    /** A caller blocked inside a server's start until {@code release} opens. */
    private record SlowStart(CompletableFuture<FakeServer> caller, CountDownLatch release, AtomicInteger stops) {
    }

    private SlowStart slowStartInProgress() throws InterruptedException {
        CountDownLatch starting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger stops = new AtomicInteger();
        ServerKind<FakeServer> slow = kind("slow", () -> {
            starting.countDown();
            await(release);
            return new FakeServer("slow");
        }, stops);
        CompletableFuture<FakeServer> caller = inBackground(() -> registry.get(slow));
        assertThat(starting.await(5, TimeUnit.SECONDS)).as("the start began").isTrue();
        return new SlowStart(caller, release, stops);
    }

    private <T> CompletableFuture<T> inBackground(Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, threads);
    }

    private static ServerKind<FakeServer> kind(String name, Supplier<FakeServer> start, AtomicInteger stops) {
        Supplier<RunningServer<FakeServer>> running = () -> new RunningServer<>(start.get(), stops::incrementAndGet);
        return ServerKind.of(name, FakeServer.class, running, running, settings -> running.get());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record FakeServer(String name) implements Backend {
        @Override
        public String version() {
            return "1.0";
        }

        @Override
        public BackendMode mode() {
            return BackendMode.EMBEDDED;
        }

        @Override
        public String address() {
            return "fake:1";
        }
    }
}
