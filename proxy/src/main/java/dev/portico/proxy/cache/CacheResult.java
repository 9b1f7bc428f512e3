package dev.portico.proxy.cache;

/** What the cache did for one request: the value of the {@code X-Cache} header. */
public enum CacheResult {
    /** Answered from the cache, fresh. */
    HIT,
    /** Fetched from a backend. */
    MISS,
    /** Answered from the cache while stale (stale-while-revalidate or stale-if-error). */
    STALE,
    /** Answered from the cache after the backend confirmed it with a 304. */
    REVALIDATED,
    /** Not handled by the cache (method, request directives, Range, upgrade). */
    BYPASS
}
