package dev.portico.proxy.cache;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The {@code cache:} section of a proxy.
 *
 * @param memorySize           bytes of the in-memory tier
 * @param dir                  directory of the disk tier, or null for memory only
 * @param diskSize             bytes of the disk tier
 * @param maxObjectSize        largest response body stored; larger ones pass through uncached
 * @param defaultTtl           freshness for responses without freshness information, by path glob, first match wins;
 *                             a path no rule matches (or a zero TTL) is not stored without freshness information
 * @param coalesceTimeout      how long concurrent misses wait for the one fetch in flight before going upstream themselves
 * @param staleIfError         stale-if-error window used when a response does not give one
 * @param staleWhileRevalidate stale-while-revalidate window used when a response does not give one
 * @param heuristic            heuristic freshness from Last-Modified (RFC 9111 §4.2.2), or null (off)
 */
public record CacheConfig(long memorySize, Path dir, long diskSize, long maxObjectSize, List<TtlRule> defaultTtl,
                          Duration coalesceTimeout, Duration staleIfError, Duration staleWhileRevalidate,
                          Heuristic heuristic) {

    /** Default in-memory size: 64 MiB. */
    public static final long DEFAULT_MEMORY = 64L << 20;
    /** Default disk size: 1 GiB. */
    public static final long DEFAULT_DISK = 1L << 30;
    /** Default largest stored body: 8 MiB. */
    public static final long DEFAULT_MAX_OBJECT = 8L << 20;
    /** Default coalescing wait. */
    public static final Duration DEFAULT_COALESCE = Duration.ofSeconds(10);

    /**
     * One {@code default_ttl} entry: a glob on the URL path ({@code *} matches any run of
     * characters, slashes included; {@code ?} one character) and its freshness lifetime.
     */
    public record TtlRule(String glob, Duration ttl) {
        public TtlRule {
            Objects.requireNonNull(glob, "glob");
            Objects.requireNonNull(ttl, "ttl");
            if (ttl.isNegative()) {
                throw new IllegalArgumentException("default_ttl '" + glob + "' is negative");
            }
        }

        /** True when the path matches the glob. */
        public boolean matches(String path) {
            return match(glob, 0, path, 0);
        }

        private static boolean match(String g, int gi, String s, int si) {
            while (gi < g.length()) {
                char c = g.charAt(gi);
                if (c == '*') {
                    while (gi < g.length() && g.charAt(gi) == '*') {
                        gi++;
                    }
                    if (gi == g.length()) {
                        return true;
                    }
                    for (int k = si; k <= s.length(); k++) {
                        if (match(g, gi, s, k)) {
                            return true;
                        }
                    }
                    return false;
                }
                if (si >= s.length() || (c != '?' && c != s.charAt(si))) {
                    return false;
                }
                gi++;
                si++;
            }
            return si == s.length();
        }
    }

    /**
     * Heuristic freshness (RFC 9111 §4.2.2): a response with Last-Modified and no explicit
     * freshness, whose status is heuristically cacheable and that no {@code default_ttl} rule
     * covers, is fresh for {@code fraction} of the time since it was last modified, at most {@code max}.
     *
     * @param fraction the share of the time since Last-Modified, above 0 and at most 1
     * @param max      the longest lifetime given this way
     */
    public record Heuristic(double fraction, Duration max) {
        /** The usual fraction (RFC 9111 §4.2.2 mentions 10%). */
        public static final double DEFAULT_FRACTION = 0.1;
        /** The usual cap: one day. */
        public static final Duration DEFAULT_MAX = Duration.ofDays(1);

        public Heuristic {
            Objects.requireNonNull(max, "max");
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("heuristic fraction must be above 0 and at most 1, not " + fraction);
            }
            if (max.isNegative() || max.isZero()) {
                throw new IllegalArgumentException("heuristic max must be above 0");
            }
        }

        /** The lifetime in ms of a response last modified {@code sinceModified} ms before its Date. */
        public long lifetime(long sinceModified) {
            return Math.min(max.toMillis(), (long) (Math.max(0, sinceModified) * fraction));
        }
    }

    public CacheConfig {
        defaultTtl = List.copyOf(defaultTtl);
        Objects.requireNonNull(coalesceTimeout, "coalesceTimeout");
        Objects.requireNonNull(staleIfError, "staleIfError");
        Objects.requireNonNull(staleWhileRevalidate, "staleWhileRevalidate");
        if (memorySize < 0 || diskSize <= 0 || maxObjectSize <= 0) {
            throw new IllegalArgumentException("cache sizes must be positive");
        }
        if (coalesceTimeout.isNegative() || staleIfError.isNegative() || staleWhileRevalidate.isNegative()) {
            throw new IllegalArgumentException("cache durations must not be negative");
        }
    }

    /** The default TTL for a path, or null when no rule matches. */
    public Duration defaultTtl(String path) {
        for (TtlRule r : defaultTtl) {
            if (r.matches(path)) {
                return r.ttl();
            }
        }
        return null;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link CacheConfig}; every setting has a default (memory tier only, nothing stored heuristically). */
    public static final class Builder {
        private long memorySize = DEFAULT_MEMORY;
        private Path dir;
        private long diskSize = DEFAULT_DISK;
        private long maxObjectSize = DEFAULT_MAX_OBJECT;
        private final List<TtlRule> defaultTtl = new ArrayList<>();
        private Duration coalesceTimeout = DEFAULT_COALESCE;
        private Duration staleIfError = Duration.ZERO;
        private Duration staleWhileRevalidate = Duration.ZERO;
        private Heuristic heuristic;

        public Builder memorySize(long value) {
            memorySize = value;
            return this;
        }

        /** The disk tier's directory; null for memory only. */
        public Builder dir(Path value) {
            dir = value;
            return this;
        }

        public Builder diskSize(long value) {
            diskSize = value;
            return this;
        }

        public Builder maxObjectSize(long value) {
            maxObjectSize = value;
            return this;
        }

        /** Adds a default TTL rule after the ones already added. */
        public Builder defaultTtl(String glob, Duration ttl) {
            defaultTtl.add(new TtlRule(glob, ttl));
            return this;
        }

        public Builder coalesceTimeout(Duration value) {
            coalesceTimeout = value;
            return this;
        }

        public Builder staleIfError(Duration value) {
            staleIfError = value;
            return this;
        }

        public Builder staleWhileRevalidate(Duration value) {
            staleWhileRevalidate = value;
            return this;
        }

        /** Heuristic freshness from Last-Modified; null (the default) leaves it off. */
        public Builder heuristic(Heuristic value) {
            heuristic = value;
            return this;
        }

        public CacheConfig build() {
            return new CacheConfig(memorySize, dir, diskSize, maxObjectSize, defaultTtl, coalesceTimeout, staleIfError,
                    staleWhileRevalidate, heuristic);
        }
    }
}
