package dev.backendlabs.shared.load;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Failed operations counted by exception class, from many threads at once. */
final class ErrorTally {

    private final LongAdder total = new LongAdder();
    private final Map<String, LongAdder> byType = new ConcurrentHashMap<>();

    void add(Throwable error) {
        total.increment();
        byType.computeIfAbsent(error.getClass().getName(), type -> new LongAdder()).increment();
    }

    long total() {
        return total.sum();
    }

    /** A sorted snapshot: exception class name to count. */
    Map<String, Long> byType() {
        Map<String, Long> snapshot = new TreeMap<>();
        byType.forEach((type, count) -> snapshot.put(type, count.sum()));
        return snapshot;
    }
}
