package dev.portico.proxy.cache;

import java.io.IOException;
import java.util.function.Predicate;

/**
 * The persistent tier under the memory tier: opaque meta bytes and a body per key. Every method
 * may block; {@link HttpCache} calls them off the event loops.
 */
public interface SecondTier extends AutoCloseable {

    /** A stored entry. */
    record Stored(byte[] meta, byte[] body) {
    }

    /** The entry, or null when absent. */
    Stored get(String key) throws IOException;

    /** Stores an entry atomically (readers see the old one or the new one). */
    void put(String key, byte[] meta, byte[] body) throws IOException;

    /** Rewrites an entry's meta atomically; false when the entry is absent. */
    boolean updateMeta(String key, byte[] meta) throws IOException;

    boolean remove(String key) throws IOException;

    /** Removes every entry whose key matches; returns how many. */
    int removeIf(Predicate<String> key) throws IOException;

    /** Bytes held. */
    long bytes();

    /** Entries held. */
    long entries();

    @Override
    void close() throws IOException;
}
