package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;

import java.util.List;
import java.util.function.Function;

/**
 * Caches one value derived from a backend list, keyed by the list's identity. Pool snapshots are
 * immutable and replaced (never mutated) on any change, weights included, so identity is a
 * complete key. A caller that builds a fresh list per call gets a correct but rebuilt value.
 */
final class SnapshotCache<T> {

    private record Entry<T>(List<Backend> key, T value) {
    }

    private final Function<List<Backend>, T> builder;
    private volatile Entry<T> entry;

    SnapshotCache(Function<List<Backend>, T> builder) {
        this.builder = builder;
    }

    T get(List<Backend> backends) {
        Entry<T> e = entry;
        if (e != null && e.key == backends) {
            return e.value;
        }
        T value = builder.apply(backends);
        entry = new Entry<>(backends, value);
        return value;
    }
}
