package dev.portico.web.files;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.nio.file.Path;

/**
 * Pre-rendered small-file responses, bounded by total bytes. Keys are the site, the encoding and
 * the raw request path, so a hit needs no decoding and no file system call. The root watcher
 * invalidates entries as soon as their files change.
 */
public final class FileCache {

    private final Cache<String, CachedFile> cache;

    public FileCache(long maxBytes) {
        this.cache = Caffeine.newBuilder()
                .maximumWeight(Math.max(maxBytes, 0))
                .weigher((String k, CachedFile v) -> v.weight() + k.length())
                .executor(Runnable::run)
                .build();
    }

    /** The key of a request: site, encoding and raw path. */
    public static String key(int site, char encoding, String rawPath) {
        return new StringBuilder(rawPath.length() + 4).append((char) ('0' + site)).append(encoding).append(rawPath).toString();
    }

    public CachedFile get(String key) {
        return cache.getIfPresent(key);
    }

    private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();

    /** A counter that moves on every invalidation; read it before reading a file. */
    public long generation() {
        return generation.get();
    }

    /** Stores an entry unless something was invalidated since {@code seenGeneration}. */
    public void put(String key, CachedFile file, long seenGeneration) {
        if (generation.get() == seenGeneration) {
            cache.put(key, file);
            if (generation.get() != seenGeneration) {
                cache.invalidate(key);
            }
        }
    }

    /** Drops every entry for a file, or for anything under a directory, or whose file is in it. */
    public void invalidate(Path changed) {
        generation.incrementAndGet();
        Path dir = changed.getParent();
        cache.asMap().values().removeIf(f -> f.file().startsWith(changed) || f.file().getParent().equals(dir)
                || f.file().getParent().equals(changed));
    }

    public void invalidateAll() {
        generation.incrementAndGet();
        cache.invalidateAll();
    }

    public long size() {
        return cache.estimatedSize();
    }
}
