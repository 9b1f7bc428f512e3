package dev.portico.proxy;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;
import dev.portico.web.http.ResponseHead;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Header rewriting in both directions: hop-by-hop fields (RFC 9110 §7.6.1, and any field the
 * Connection header names) are dropped, framing is left to the codecs, and the forwarding fields
 * X-Forwarded-For, X-Forwarded-Proto, Forwarded and Via are added towards the backend.
 */
final class ForwardHeaders {

    /** The Via token of this proxy. */
    static final String VIA = "portico";

    /** Headers without name and value checks, for fields that came through the decoder's. */
    private static final HttpHeadersFactory UNCHECKED = DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    // Names as AsciiString constants: they cache their hash, which the header map asks for on
    // every get and set.
    private static final AsciiString TRANSFER_ENCODING = AsciiString.cached("Transfer-Encoding");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
    private static final AsciiString FORWARDED = AsciiString.cached("Forwarded");
    private static final AsciiString VIA_HEADER = AsciiString.cached("Via");
    private static final AsciiString HOST = AsciiString.cached("Host");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString CHUNKED = AsciiString.cached("chunked");

    private ForwardHeaders() {
    }

    /**
     * The fixed hop-by-hop fields (RFC 9110 §7.6.1, plus Keep-Alive and Proxy-Connection), matched
     * by length then without regard to case: no lower-cased copy and no hashing per header.
     */
    static boolean isHopByHop(CharSequence name) {
        return switch (name.length()) {
            case 2 -> is(name, "te");
            case 7 -> is(name, "trailer") || is(name, "upgrade");
            case 10 -> is(name, "connection") || is(name, "keep-alive");
            case 16 -> is(name, "proxy-connection");
            case 17 -> is(name, "transfer-encoding");
            case 18 -> is(name, "proxy-authenticate");
            case 19 -> is(name, "proxy-authorization");
            default -> false;
        };
    }

    /** Response fields the proxy writes itself: Date by the exchange, framing by the caller, Via here. */
    private static boolean isRewrittenInResponse(CharSequence name) {
        return switch (name.length()) {
            case 3 -> is(name, "via");
            case 4 -> is(name, "date");
            case 14 -> is(name, "content-length");
            default -> false;
        };
    }

    private static boolean is(CharSequence name, String lowerCase) {
        return AsciiString.contentEqualsIgnoreCase(name, lowerCase);
    }

    /** Whether {@code name} is one of the lower-case names in {@code named} (usually empty). */
    private static boolean named(Set<String> named, String name) {
        return !named.isEmpty() && named.contains(name.toLowerCase(Locale.ROOT));
    }

    /** True for a request asking to switch to WebSocket. */
    static boolean isWebSocket(HttpHeaders h) {
        return "websocket".equalsIgnoreCase(h.get("Upgrade", "").strip()) && hasToken(h.get("Connection"), "upgrade");
    }

    static boolean hasToken(String header, String token) {
        if (header == null) {
            return false;
        }
        for (String part : header.split(",")) {
            if (part.strip().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The lower-case field names the Connection header lists, beyond the fixed hop-by-hop ones
     * (which are always dropped): usually none, so most messages allocate nothing here.
     */
    private static Set<String> listedInConnection(HttpHeaders h) {
        Set<String> named = null;
        for (String c : h.getAll("Connection")) {
            for (String part : c.split(",")) {
                String name = part.strip().toLowerCase(Locale.ROOT);
                if (!name.isEmpty() && !isHopByHop(name)) {
                    if (named == null) {
                        named = new HashSet<>(4);
                    }
                    named.add(name);
                }
            }
        }
        return named == null ? Set.of() : named;
    }

    /**
     * The headers sent to the backend. Expect is dropped too: the client's 100-continue was
     * answered by the proxy when it asked for the body.
     *
     * @param in        the client's request headers
     * @param peer      the client's address as seen by the proxy
     * @param version   the client's protocol, "HTTP/1.1" or "HTTP/1.0"
     * @param websocket keep Upgrade: websocket and Connection: Upgrade
     */
    static HttpHeaders request(HttpHeaders in, InetAddress peer, String version, boolean websocket) {
        Set<String> named = listedInConnection(in);
        // No validation: every name and value came through the request decoder's checks.
        HttpHeaders out = UNCHECKED.newHeaders();
        for (Map.Entry<String, String> e : in) {
            String name = e.getKey();
            if (!isHopByHop(name) && !(name.length() == 6 && is(name, "expect")) && !named(named, name)) {
                out.add(name, e.getValue());
            }
        }
        if (in.containsValue(TRANSFER_ENCODING, CHUNKED, true)) {
            out.set(TRANSFER_ENCODING, CHUNKED);
        }
        if (websocket) {
            out.set("Connection", "Upgrade");
            out.set("Upgrade", "websocket");
        }
        String ip = peer.getHostAddress();
        String xff = in.get(X_FORWARDED_FOR);
        out.set(X_FORWARDED_FOR, xff == null || xff.isBlank() ? ip : xff + ", " + ip);
        out.set(X_FORWARDED_PROTO, HTTP);
        String node = peer instanceof Inet6Address ? "\"[" + ip + "]\"" : ip;
        String host = in.get(HOST);
        String fwd = host == null ? "for=" + node + ";proto=http"
                : "for=" + node + ";proto=http;host=\"" + (host.indexOf('"') < 0 ? host : host.replace("\"", "")) + "\"";
        String prior = in.get(FORWARDED);
        out.set(FORWARDED, prior == null || prior.isBlank() ? fwd : prior + ", " + fwd);
        String via = version.equals("HTTP/1.0") ? "1.0 " + VIA : "1.1 " + VIA;
        String priorVia = in.get(VIA_HEADER);
        out.set(VIA_HEADER, priorVia == null || priorVia.isBlank() ? via : priorVia + ", " + via);
        return out;
    }

    /**
     * The response head for the client: the backend's status and end-to-end headers, without
     * Date (the exchange writes its own) and without framing (the caller sets it), plus Via.
     */
    static ResponseHead response(HttpResponse r, boolean websocket) {
        List<String> list = responseHeaders(r, Set.of());
        ResponseHead h = ResponseHead.of(r.status().code());
        for (int i = 0; i < list.size(); i += 2) {
            h.header(list.get(i), list.get(i + 1));
        }
        if (websocket) {
            h.header("Upgrade", "websocket");
            h.header("Connection", "Upgrade");
        }
        return h;
    }

    /**
     * The end-to-end headers of a response as names and values, alternating: without hop-by-hop
     * fields, Date, Content-Length and the lower-case names in {@code alsoDrop}; Via is appended to.
     */
    static List<String> responseHeaders(HttpResponse r, Set<String> alsoDrop) {
        HttpHeaders in = r.headers();
        Set<String> named = listedInConnection(in);
        List<String> out = new ArrayList<>(in.size() * 2 + 2);
        for (Map.Entry<String, String> e : in) {
            String name = e.getKey();
            if (!isHopByHop(name) && !isRewrittenInResponse(name) && !named(named, name) && !named(alsoDrop, name)) {
                out.add(name);
                out.add(e.getValue());
            }
        }
        String version = r.protocolVersion().minorVersion() == 0 ? "1.0 " : "1.1 ";
        String priorVia = in.get("Via");
        out.add("Via");
        out.add(priorVia == null || priorVia.isBlank() ? version + VIA : priorVia + ", " + version + VIA);
        return out;
    }
}
