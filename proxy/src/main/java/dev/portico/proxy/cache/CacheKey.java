package dev.portico.proxy.cache;

import java.util.Locale;

/**
 * The primary cache key of a request: {@code http://host[:port]/path?query}, the host lower-cased
 * and the default port left out. Purge and ban work on these strings.
 */
public final class CacheKey {

    private CacheKey() {
    }

    /**
     * @param scheme the scheme ("http")
     * @param host   the Host header as sent (may carry a port), or null
     * @param target the request target (origin form; absolute form is reduced to its path)
     */
    public static String of(String scheme, String host, String target) {
        String h = host == null ? "" : host.strip().toLowerCase(Locale.ROOT);
        String defaultPort = scheme.equals("https") ? ":443" : ":80";
        if (h.endsWith(defaultPort)) {
            h = h.substring(0, h.length() - defaultPort.length());
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        String t = target;
        int scheme2 = t.indexOf("://");
        if (scheme2 > 0 && !t.startsWith("/")) {
            int slash = t.indexOf('/', scheme2 + 3);
            t = slash < 0 ? "/" : t.substring(slash);
        }
        int hash = t.indexOf('#');
        if (hash >= 0) {
            t = t.substring(0, hash);
        }
        return scheme + "://" + h + t;
    }
}
