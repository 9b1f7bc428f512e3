package dev.portico.proxy.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * RFC 9111 for a shared cache: which responses may be stored, for how long they are fresh, how
 * old they are, and when stale ones may still be used. GET responses with a status in
 * {@link #UNDERSTOOD} may be stored when they carry explicit freshness (max-age, s-maxage or
 * Expires, RFC 9111 §3); only those in {@link #HEURISTIC} may be stored without it. The cache
 * obeys CDN-Cache-Control (RFC 9213) when a response has a valid one: its directives then replace
 * Cache-Control and Expires for everything the cache decides. The decisions that are a choice are:
 * <ul>
 *   <li>responses to requests with Authorization are stored only with {@code public},
 *       {@code s-maxage} or {@code must-revalidate};</li>
 *   <li>responses with Set-Cookie are stored only with an explicit {@code public}, and the stored
 *       copy never carries the Set-Cookie (only the response that filled the cache does);</li>
 *   <li>a response without freshness information is stored only when a {@code default_ttl} rule
 *       matches its path with a TTL above zero, or else when {@code heuristic} is on and it has a
 *       Last-Modified;</li>
 *   <li>an Expires that is not one valid date (garbage, {@code 0}, several different values)
 *       means already expired (RFC 9111 §5.3);</li>
 *   <li>{@code no-cache} (with or without field names) is stored and revalidated on every use.</li>
 * </ul>
 */
public final class CachePolicy {

    /**
     * The final statuses RFC 9110 defines, less 206 (the cache stores whole responses) and 304
     * (an answer to a conditional request): stored when they carry explicit freshness.
     */
    public static final Set<Integer> UNDERSTOOD = Set.of(200, 201, 202, 203, 204, 205, 300, 301, 302, 303, 305,
            307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421,
            422, 426, 500, 501, 502, 503, 504, 505);

    /** Statuses stored without explicit freshness (from {@code default_ttl} or the heuristic). */
    public static final Set<Integer> HEURISTIC = Set.of(200, 203, 204, 300, 301, 404, 410);

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

    /** The rules of a request without Cache-Control or Pragma. */
    private static final RequestRules PLAIN = new RequestRules(false, false, -1, false);

    /** Reads the request directives. */
    public static RequestRules request(HttpHeaders h) {
        if (!h.contains(HttpHeaderNames.CACHE_CONTROL) && !h.contains(HttpHeaderNames.PRAGMA)) {
            return PLAIN;
        }
        List<String> values = h.getAll("Cache-Control");
        CacheControl cc = CacheControl.parse(values);
        boolean pragma = values.isEmpty() && h.getAll("Pragma").stream().anyMatch(p -> p.toLowerCase().contains("no-cache"));
        long maxAge = cc.seconds("max-age");
        return new RequestRules(cc.has("no-store"), cc.has("no-cache") || pragma || maxAge == 0,
                maxAge < 0 ? -1 : maxAge * 1000, cc.has("only-if-cached"));
    }

    /**
     * The response directives this cache obeys: CDN-Cache-Control when it is present and valid
     * (RFC 9213 §2.1: then Cache-Control is not looked at, nor merged), else Cache-Control.
     */
    public static CacheControl directives(HttpHeaders response) {
        CacheControl targeted = CacheControl.targeted(response.getAll("CDN-Cache-Control"));
        return targeted != null ? targeted : CacheControl.parse(response.getAll("Cache-Control"));
    }

    /**
     * Whether a response may be stored at all (before its freshness is looked at).
     *
     * @param request  the request headers
     * @param status   the response status
     * @param response the response headers
     */
    public boolean storable(HttpHeaders request, int status, HttpHeaders response) {
        return storable(request, status, response, false);
    }

    /**
     * As {@link #storable(HttpHeaders, int, HttpHeaders)}, for a request the proxy forwards with
     * the client's identity: a verified client certificate's subject in {@code tls.client_cert_header}
     * counts as Authorization does (stored only with {@code public}, {@code s-maxage} or
     * {@code must-revalidate}), since the answer may be made for that client alone.
     *
     * @param identified true when the forwarded request names the client's certificate
     */
    public boolean storable(HttpHeaders request, int status, HttpHeaders response, boolean identified) {
        if (!UNDERSTOOD.contains(status)) {
            return false;
        }
        CacheControl cc = directives(response);
        if (cc.has("no-store") || cc.has("private") || CacheControl.parse(request.getAll("Cache-Control")).has("no-store")) {
            return false;
        }
        for (String v : response.getAll("Vary")) {
            if (v.contains("*")) {
                return false;
            }
        }
        if ((identified || request.contains("Authorization")) && !(cc.has("public") || cc.has("s-maxage") || cc.has("must-revalidate"))) {
            return false;
        }
        return !response.contains("Set-Cookie") || cc.has("public");
    }

    /**
     * The freshness lifetime in ms (RFC 9111 §4.2.1): with a CDN-Cache-Control, its max-age alone;
     * otherwise s-maxage, else max-age, else Expires minus Date. Without any of these, for a
     * heuristically cacheable status only: the path's default TTL, else the heuristic. -1 when there
     * is none.
     *
     * @param status       the response status
     * @param response     the response headers
     * @param path         the request path (for default_ttl)
     * @param responseTime when the response arrived (epoch ms; stands in for a missing Date)
     */
    public long lifetime(int status, HttpHeaders response, String path, long responseTime) {
        CacheControl targeted = CacheControl.targeted(response.getAll("CDN-Cache-Control"));
        CacheControl cc = targeted != null ? targeted : CacheControl.parse(response.getAll("Cache-Control"));
        long s = targeted != null ? -1 : cc.seconds("s-maxage");
        if (s >= 0) {
            return s * 1000;
        }
        long m = cc.seconds("max-age");
        if (m >= 0) {
            return m * 1000;
        }
        if (targeted == null && response.contains("Expires")) {
            return expires(response, responseTime);
        }
        if (cc.has("no-cache")) {
            return 0;
        }
        if (!HEURISTIC.contains(status)) {
            return -1;
        }
        Duration ttl = config.defaultTtl(path);
        if (ttl != null) {
            return ttl.isZero() ? -1 : ttl.toMillis();
        }
        CacheConfig.Heuristic heuristic = config.heuristic();
        if (heuristic != null) {
            long modified = HttpDate.parse(response.get("Last-Modified"), responseTime);
            if (modified != HttpDate.INVALID) {
                long life = heuristic.lifetime(dateOr(response, responseTime) - modified);
                return life > 0 ? life : -1;
            }
        }
        return -1;
    }

    /**
     * Expires minus Date (RFC 9111 §4.2.1, §5.3): 0, already expired, unless the field is one
     * valid date (repeated lines must agree).
     */
    private static long expires(HttpHeaders response, long responseTime) {
        List<String> values = response.getAll("Expires");
        String first = values.getFirst();
        for (int i = 1; i < values.size(); i++) {
            if (!values.get(i).strip().equals(first.strip())) {
                return 0;
            }
        }
        long e = HttpDate.parse(first, responseTime);
        if (e == HttpDate.INVALID) {
            return 0;
        }
        return Math.max(0, e - dateOr(response, responseTime));
    }

    /** The response's Date, or {@code fallback} when it has no valid one. */
    private static long dateOr(HttpHeaders response, long fallback) {
        long date = HttpDate.parse(response.get("Date"), fallback);
        return date == HttpDate.INVALID ? fallback : date;
    }

    /** RFC 9111 §4.2.3 corrected_initial_age in ms. */
    public static long initialAge(HttpHeaders response, long requestTime, long responseTime) {
        long date = HttpDate.parse(response.get("Date"), responseTime);
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
