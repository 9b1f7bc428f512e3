package dev.portico.proxy.cache;

import io.netty.handler.codec.http.HttpHeaders;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * RFC 9111 for a shared cache: which responses may be stored, for how long they are fresh, how
 * old they are, and when stale ones may still be used. Only GET responses with the statuses in
 * {@link #CACHEABLE} are stored; the decisions that are a choice are:
 * <ul>
 *   <li>responses to requests with Authorization are stored only with {@code public},
 *       {@code s-maxage} or {@code must-revalidate};</li>
 *   <li>responses with Set-Cookie are stored only with an explicit {@code public}, and the stored
 *       copy never carries the Set-Cookie (only the response that filled the cache does);</li>
 *   <li>a response without freshness information is stored only when a {@code default_ttl} rule
 *       matches its path with a TTL above zero;</li>
 *   <li>{@code no-cache} (with or without field names) is stored and revalidated on every use.</li>
 * </ul>
 */
public final class CachePolicy {

    /** Statuses the cache stores. */
    public static final Set<Integer> CACHEABLE = Set.of(200, 203, 204, 300, 301, 404, 410);

    private final CacheConfig config;

    public CachePolicy(CacheConfig config) {
        this.config = config;
    }

    public CacheConfig config() {
        return config;
    }

    /**
     * What the request's own Cache-Control (and Pragma) asks for.
     *
     * @param bypass       no-store: neither answered from nor stored in the cache
     * @param revalidate   no-cache, max-age=0 or Pragma: no-cache: a stored response must be revalidated first
     * @param maxAge       max-age in ms, or -1
     * @param onlyIfCached only-if-cached: 504 rather than going to a backend
     */
    public record RequestRules(boolean bypass, boolean revalidate, long maxAge, boolean onlyIfCached) {
    }

    /** Reads the request directives. */
    public static RequestRules request(HttpHeaders h) {
        List<String> values = h.getAll("Cache-Control");
        CacheControl cc = CacheControl.parse(values);
        boolean pragma = values.isEmpty() && h.getAll("Pragma").stream().anyMatch(p -> p.toLowerCase().contains("no-cache"));
        long maxAge = cc.seconds("max-age");
        return new RequestRules(cc.has("no-store"), cc.has("no-cache") || pragma || maxAge == 0,
                maxAge < 0 ? -1 : maxAge * 1000, cc.has("only-if-cached"));
    }

    /**
     * Whether a response may be stored at all (before its freshness is looked at).
     *
     * @param request  the request headers
     * @param status   the response status
     * @param response the response headers
     */
    public boolean storable(HttpHeaders request, int status, HttpHeaders response) {
        if (!CACHEABLE.contains(status)) {
            return false;
        }
        CacheControl cc = CacheControl.parse(response.getAll("Cache-Control"));
        if (cc.has("no-store") || cc.has("private") || CacheControl.parse(request.getAll("Cache-Control")).has("no-store")) {
            return false;
        }
        for (String v : response.getAll("Vary")) {
            if (v.contains("*")) {
                return false;
            }
        }
        if (request.contains("Authorization") && !(cc.has("public") || cc.has("s-maxage") || cc.has("must-revalidate"))) {
            return false;
        }
        return !response.contains("Set-Cookie") || cc.has("public");
    }

    /**
     * The freshness lifetime in ms (RFC 9111 §4.2.1): s-maxage, else max-age, else Expires minus
     * Date, else the path's default TTL. -1 when there is none.
     */
    public long lifetime(HttpHeaders response, String path, long responseTime) {
        CacheControl cc = CacheControl.parse(response.getAll("Cache-Control"));
        long s = cc.seconds("s-maxage");
        if (s >= 0) {
            return s * 1000;
        }
        long m = cc.seconds("max-age");
        if (m >= 0) {
            return m * 1000;
        }
        String expires = response.get("Expires");
        if (expires != null) {
            long e = HttpDate.parse(expires);
            if (e == HttpDate.INVALID) {
                return 0;
            }
            long date = HttpDate.parse(response.get("Date"));
            return Math.max(0, e - (date == HttpDate.INVALID ? responseTime : date));
        }
        if (cc.has("no-cache")) {
            return 0;
        }
        Duration ttl = config.defaultTtl(path);
        return ttl == null || ttl.isZero() ? -1 : ttl.toMillis();
    }

    /** RFC 9111 §4.2.3 corrected_initial_age in ms. */
    public static long initialAge(HttpHeaders response, long requestTime, long responseTime) {
        long date = HttpDate.parse(response.get("Date"));
        long apparent = date == HttpDate.INVALID ? 0 : Math.max(0, responseTime - date);
        long ageValue = CacheControl.parse("age=" + response.get("Age", "")).seconds("age");
        long corrected = Math.max(0, ageValue) * 1000 + Math.max(0, responseTime - requestTime);
        return Math.max(apparent, corrected);
    }

    /** True when the entry may be used without asking the backend. */
    public static boolean fresh(CachedResponse e, long now, RequestRules rules) {
        if (e.cacheControl().has("no-cache")) {
            return false;
        }
        long age = e.age(now);
        if (rules.maxAge() >= 0 && age > rules.maxAge()) {
            return false;
        }
        return age < e.lifetime();
    }

    /** True when the response forbids any stale use (must-revalidate, proxy-revalidate, s-maxage, no-cache). */
    private static boolean noStale(CacheControl cc) {
        return cc.has("must-revalidate") || cc.has("proxy-revalidate") || cc.has("s-maxage") || cc.has("no-cache");
    }

    /** The stale-while-revalidate window of an entry in ms (0 when stale use is not allowed). */
    public long staleWhileRevalidate(CachedResponse e) {
        CacheControl cc = e.cacheControl();
        if (noStale(cc)) {
            return 0;
        }
        long s = cc.seconds("stale-while-revalidate");
        return s >= 0 ? s * 1000 : config.staleWhileRevalidate().toMillis();
    }

    /** The stale-if-error window of an entry in ms (0 when stale use is not allowed). */
    public long staleIfError(CachedResponse e) {
        CacheControl cc = e.cacheControl();
        if (noStale(cc)) {
            return 0;
        }
        long s = cc.seconds("stale-if-error");
        return s >= 0 ? s * 1000 : config.staleIfError().toMillis();
    }

    /** How long an entry is worth keeping after it turned stale, in ms: its stale windows, or forever with a validator. */
    public long keepStale(CachedResponse e) {
        return e.hasValidator() ? Long.MAX_VALUE / 4 : Math.max(staleWhileRevalidate(e), staleIfError(e));
    }
}
