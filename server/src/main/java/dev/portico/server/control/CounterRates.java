package dev.portico.server.control;

import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.LongSupplier;

/**
 * Per-second rates of a service's counters (a file store's reads and writes), measured as
 * {@link HostRates} measures hosts: between two looks at the total at least a second apart, so a
 * page that refreshes every second sees the last second and a rare look the average since the
 * one before. Services are held weakly: a stopped one's samples go with it.
 */
final class CounterRates {

    private static final long WINDOW_NANOS = 1_000_000_000L;

    private record Sample(long nanos, long total, double rate) {
    }

    private final Map<Object, Map<String, Sample>> samples = new WeakHashMap<>();
    private final LongSupplier nanoTime;

    CounterRates(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** The rate of {@code counter} of {@code owner} now, per second (0 until a second has passed since its first look). */
    synchronized double rate(Object owner, String counter, long total) {
        long now = nanoTime.getAsLong();
        Map<String, Sample> byCounter = samples.computeIfAbsent(owner, o -> new HashMap<>());
        Sample last = byCounter.get(counter);
        if (last == null) {
            byCounter.put(counter, new Sample(now, total, 0.0));
            return 0.0;
        }
        long elapsed = now - last.nanos();
        if (elapsed < WINDOW_NANOS) {
            return last.rate();
        }
        double rate = (total - last.total()) * 1e9 / elapsed;
        byCounter.put(counter, new Sample(now, total, rate));
        return rate;
    }
}
