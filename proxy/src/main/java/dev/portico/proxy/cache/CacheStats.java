package dev.portico.proxy.cache;

import java.util.List;

/**
 * A snapshot of a cache for the admin API and dashboard.
 *
 * @param memoryEntries URLs in the memory tier
 * @param memoryBytes   bytes weighed in the memory tier
 * @param memoryLimit   the memory tier's bound
 * @param diskEntries   entries in the disk tier (0 without one)
 * @param diskBytes     bytes in the disk tier
 * @param diskLimit     the disk tier's bound, or 0 without one
 * @param hits          answers from the cache while fresh
 * @param misses        answers fetched from a backend for a cacheable request
 * @param stale         stale answers (stale-while-revalidate or stale-if-error)
 * @param revalidated   answers from the cache after a backend's 304
 * @param bypass        requests the cache did not handle
 * @param bans          active bans, as {@link Ban#describe()} strings
 */
public record CacheStats(long memoryEntries, long memoryBytes, long memoryLimit, long diskEntries, long diskBytes,
                         long diskLimit, long hits, long misses, long stale, long revalidated, long bypass,
                         List<String> bans) {
}
