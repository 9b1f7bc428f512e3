package dev.portico.server.control;

import dev.portico.upstream.Backend;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.LongSupplier;

/**
 * New connections per second of each host, measured between two looks at its total that are
 * at least a second apart: a page that refreshes every second sees the last second, one that
 * looks once a minute sees the average over that minute.
 */
final class HostRates {

    private static final long WINDOW_NANOS = 1_000_000_000L;

    private record Sample(long nanos, long total, double rate) {
    }

    private final Map<Backend, Sample> samples = new WeakHashMap<>();
    private final LongSupplier nanoTime;

    HostRates(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** The host's rate now, in connections per second (0 until a second has passed since it was first seen). */
    synchronized double rate(Backend backend) {
        long now = nanoTime.getAsLong();
        long total = backend.stats().total();
        Sample last = samples.get(backend);
        if (last == null) {
            samples.put(backend, new Sample(now, total, 0.0));
            return 0.0;
        }
        long elapsed = now - last.nanos();
        if (elapsed < WINDOW_NANOS) {
            return last.rate();
        }
        double rate = (total - last.total()) * 1e9 / elapsed;
        samples.put(backend, new Sample(now, total, rate));
        return rate;
    }
}
