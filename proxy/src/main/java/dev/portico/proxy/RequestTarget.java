package dev.portico.proxy;

import dev.portico.web.http.Exchange;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

import java.util.Locale;

/**
 * The one Host and target of a proxied request, settled before anything reads them: routing, the
 * cache key, the Forwarded element and the forwarded head all use what this leaves in the request.
 *
 * <p>An absolute-form target ({@code GET http://host/path}) replaces the Host field with its
 * authority and is reduced to origin form (RFC 9112 §3.2.2). The Host is then checked as an RFC
 * 3986 host and optional port and normalised: lower case, one trailing dot removed, the port
 * without leading zeros. Anything else is refused.
 */
final class RequestTarget {

    private RequestTarget() {
    }

    /**
     * Checks and normalises the request's target and Host in place.
     *
     * @return null when the request may go on, else why it is refused with 400
     */
    static String normalise(HttpRequest request) {
        String uri = request.uri();
        HttpHeaders headers = request.headers();
        String host;
        boolean absolute = false;
        if (!uri.isEmpty() && uri.charAt(0) == '/') {
            host = headers.get(HttpHeaderNames.HOST);
        } else if (uri.equals("*")) {
            if (!request.method().equals(HttpMethod.OPTIONS)) {
                return "the target '*' is for OPTIONS only";
            }
            host = headers.get(HttpHeaderNames.HOST);
        } else {
            int colon = uri.indexOf("://");
            String scheme = colon > 0 ? uri.substring(0, colon) : "";
            if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
                return colon > 0 ? "only http and https targets are proxied"
                        : "the request target is neither a path nor an absolute URI";
            }
            int start = colon + 3;
            int end = start;
            while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?' && uri.charAt(end) != '#') {
                end++;
            }
            host = uri.substring(start, end);
            if (host.isEmpty()) {
                return "the request target has no host";
            }
            request.setUri(end == uri.length() ? "/" : uri.charAt(end) == '/' ? uri.substring(end) : "/" + uri.substring(end));
            absolute = true;
        }
        if (host == null) {
            // HTTP/1.0 without Host (HTTP/1.1 without one was refused by the connection).
            return null;
        }
        String normal = host(host);
        if (normal == null) {
            return "malformed Host";
        }
        if (absolute || normal != host) {
            headers.set(HttpHeaderNames.HOST, normal);
        }
        return null;
    }

    /** The request's path without the query, in origin form even when the client sent absolute form. */
    static String path(Exchange ex) {
        String raw = ex.rawPath();
        if (raw.startsWith("/")) {
            return raw;
        }
        String uri = ex.request().uri();
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    /**
     * A Host value normalised: {@code host} itself when it already is (the usual case, no copy),
     * a new string otherwise, or null when it is not an RFC 3986 host with an optional port: an
     * IP literal in brackets or a reg-name (letters, digits, {@code -._~!$&'()*+,;=} and
     * percent-escapes) without empty labels, and a port of 1 to 65535.
     */
    static String host(String h) {
        int n = h.length();
        if (n == 0) {
            return null;
        }
        boolean upper = false;
        int hostEnd = n;
        int portAt = -1;
        if (h.charAt(0) == '[') {
            int close = h.indexOf(']');
            if (close < 2) {
                return null;
            }
            for (int k = 1; k < close; k++) {
                char c = h.charAt(k);
                if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == ':' || c == '.')) {
                    if (c >= 'A' && c <= 'F') {
                        upper = true;
                    } else {
                        return null;
                    }
                }
            }
            hostEnd = close + 1;
            if (hostEnd < n) {
                if (h.charAt(hostEnd) != ':') {
                    return null;
                }
                portAt = hostEnd + 1;
            }
        } else {
            char previous = '.';
            for (int k = 0; k < n; k++) {
                char c = h.charAt(k);
                if (c == ':') {
                    hostEnd = k;
                    portAt = k + 1;
                    break;
                }
                if (c == '.' && previous == '.') {
                    // An empty label: a leading dot or two in a row.
                    return null;
                }
                if (c == '%') {
                    if (k + 2 >= n || !hex(h.charAt(k + 1)) || !hex(h.charAt(k + 2))) {
                        return null;
                    }
                } else if (c >= 'A' && c <= 'Z') {
                    upper = true;
                } else if (!regName(c)) {
                    return null;
                }
                previous = c;
            }
        }
        boolean trailingDot = h.charAt(hostEnd - 1) == '.';
        if (trailingDot && hostEnd == 1) {
            return null;
        }
        int port = -1;
        boolean canonicalPort = true;
        if (portAt >= 0) {
            int digits = n - portAt;
            if (digits == 0) {
                // "host:" is allowed and means the default port.
                canonicalPort = false;
            } else {
                if (digits > 5) {
                    return null;
                }
                port = 0;
                for (int k = portAt; k < n; k++) {
                    char c = h.charAt(k);
                    if (c < '0' || c > '9') {
                        return null;
                    }
                    port = port * 10 + (c - '0');
                }
                if (port < 1 || port > 65535) {
                    return null;
                }
                canonicalPort = h.charAt(portAt) != '0';
            }
        }
        if (!upper && !trailingDot && canonicalPort) {
            return h;
        }
        String name = h.substring(0, trailingDot ? hostEnd - 1 : hostEnd).toLowerCase(Locale.ROOT);
        return port < 0 ? name : name + ":" + port;
    }

    private static boolean hex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }

    /** Letters (lower case), digits and the other characters of an RFC 3986 reg-name, but '%'. */
    private static boolean regName(char c) {
        return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
                || c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+'
                || c == ',' || c == ';' || c == '=';
    }
}
