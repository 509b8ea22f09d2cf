package dev.backendlabs.shared.net;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * What a {@link FaultProxy} does to its traffic right now, read by every pipe of every connection: the mode, and one
 * {@link Lane} per direction. Every change goes through {@link #change}, which wakes the pipes that hold bytes so that
 * they look again; they wait on a condition, never in a loop.
 */
final class Faults {

    /** What happens to the bytes of every connection; the last of {@link FaultProxy#blackhole()} and {@link FaultProxy#reset()} wins. */
    enum Mode {
        FORWARD,
        BLACKHOLE,
        RESET
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<Direction, Lane> lanes = new EnumMap<>(Direction.class);
    private volatile Mode mode = Mode.FORWARD;

    /** @param seed the jitter seed; each direction draws from its own random sequence */
    Faults(long seed) {
        for (Direction direction : Direction.values()) {
            lanes.put(direction, new Lane(seed * 31 + direction.ordinal()));
        }
    }

    Lane lane(Direction direction) {
        return lanes.get(direction);
    }

    Mode mode() {
        return mode;
    }

    boolean blackholed() {
        return mode == Mode.BLACKHOLE;
    }

    void mode(Mode next) {
        change(() -> mode = next);
    }

    /** Back to a transparent proxy: forward everything, no latency, no bandwidth limit, no stall ahead. */
    void clear() {
        change(() -> {
            mode = Mode.FORWARD;
            lanes.values().forEach(Lane::clear);
        });
    }

    void change(Runnable update) {
        lock.lock();
        try {
            update.run();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Blocks until {@code ready} holds, looking again after every change; closing a connection interrupts its waiters. */
    void await(BooleanSupplier ready) throws InterruptedException {
        lock.lock();
        try {
            while (!ready.getAsBoolean()) {
                changed.await();
            }
        } finally {
            lock.unlock();
        }
    }
}
