package dev.portico.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.AsciiString;
import dev.portico.web.http.ResponseHead;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Header rewriting in both directions: hop-by-hop fields (RFC 9110 §7.6.1, and any field the
 * Connection header names) are dropped, framing fields are written by whoever frames the body, and
 * the forwarding fields X-Forwarded-For, X-Forwarded-Proto, Forwarded and Via are added towards
 * the backend. Request heads are written here straight into a buffer ({@link #writeRequest});
 * relayed response fields are written by {@link UpstreamHead}, and {@link #response} builds a
 * {@code ResponseHead} for the cache's paths.
 */
final class ForwardHeaders {

    /** The Via token of this proxy. */
    static final String VIA = "portico";

    /** Headers without name and value checks, for fields that came through the decoder's. */
    private static final HttpHeadersFactory UNCHECKED = DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    // Names as AsciiString constants: they cache their hash, which the header map asks for on
    // every get and set.
    private static final AsciiString TRANSFER_ENCODING = AsciiString.cached("Transfer-Encoding");
    private static final AsciiString CONTENT_LENGTH = AsciiString.cached("Content-Length");
    private static final AsciiString ZERO = AsciiString.cached("0");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
    private static final AsciiString FORWARDED = AsciiString.cached("Forwarded");
    private static final AsciiString VIA_HEADER = AsciiString.cached("Via");
    private static final AsciiString HOST = AsciiString.cached("Host");
    private static final AsciiString CHUNKED = AsciiString.cached("chunked");
    private static final AsciiString CONNECTION = AsciiString.cached("Connection");
    private static final AsciiString UPGRADE = AsciiString.cached("Upgrade");
    private static final AsciiString WEBSOCKET = AsciiString.cached("websocket");

    /** {@link #forward}'s framing for a chunked body. */
    static final long CHUNKED_BODY = -2;
    /** {@link #forward}'s framing for a request without Content-Length or body. */
    static final long NO_LENGTH = -1;

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

    /** Receives the fields of a forwarded request, one at a time. */
    interface FieldSink {
        void field(CharSequence name, CharSequence value);
    }

    /**
     * The headers sent to the backend, as a Netty header map (for the cache, which adjusts them).
     *
     * @see #forward
     */
    static HttpHeaders request(HttpHeaders in, ClientForwarding client, AsciiString certHeader, String version,
                               boolean websocket, long framing) {
        // No validation: every name and value came through the request decoder's checks, and the
        // subject of a client certificate is escaped to printable ASCII.
        HttpHeaders out = UNCHECKED.newHeaders();
        forward(in, client, certHeader, version, websocket, framing, out::add);
        return out;
    }

    /**
     * Writes a request head for the backend into {@code out}: the request line, the fields of
     * {@link #forward}, and the empty line.
     */
    static void writeRequest(ByteBuf out, HttpMethod method, String uri, HttpHeaders in, ClientForwarding client,
                             AsciiString certHeader, String version, boolean websocket, long framing) {
        RequestHeadWriter.requestLine(out, method, uri);
        forward(in, client, certHeader, version, websocket, framing,
                (name, value) -> RequestHeadWriter.field(out, name, value));
        RequestHeadWriter.end(out);
    }

    /** Writes a request head for the backend: the request line, every field of {@code fields}, the empty line. */
    static void writeRequest(ByteBuf out, HttpMethod method, String uri, HttpHeaders fields) {
        RequestHeadWriter.requestLine(out, method, uri);
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = fields.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            RequestHeadWriter.field(out, e.getKey(), e.getValue());
        }
        RequestHeadWriter.end(out);
    }

    /**
     * The fields sent to the backend: Host first, then the client's, without hop-by-hop ones and
     * Expect (the client's 100-continue was answered by the proxy when it asked for the body),
     * then the framing of the body the proxy sends and upgrade fields, then X-Forwarded-For,
     * X-Forwarded-Proto, Forwarded and Via, each appended to the client's own, and last the client
     * certificate's subject in {@code certHeader}. The client's own {@code certHeader} fields are
     * never passed on, so a backend can trust that field whether or not the client sent a certificate.
     *
     * <p>Host, Content-Length, Transfer-Encoding and the forwarding fields are always written by
     * this method, whatever the client's Connection field names: a Connection field that could
     * remove the framing would let the body reach the backend as a request of its own.
     *
     * @param in        the client's request headers (Host already normalised)
     * @param client    the client's forwarding values (its address as seen by the proxy)
     * @param certHeader the field for the verified client certificate's subject, or null for none
     * @param version   the client's protocol, "HTTP/1.1" or "HTTP/1.0"
     * @param websocket keep Upgrade: websocket and Connection: Upgrade
     * @param framing   the body the proxy sends: its length, {@link #CHUNKED_BODY} or {@link #NO_LENGTH}
     */
    static void forward(HttpHeaders in, ClientForwarding client, AsciiString certHeader, String version,
                        boolean websocket, long framing, FieldSink sink) {
        String host = in.get(HOST);
        if (host != null) {
            sink.field(HOST, host);
        }
        Set<String> named = in.contains(CONNECTION) ? listedInConnection(in) : Set.of();
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (!isHopByHop(name) && !isWrittenInRequest(name) && (named.isEmpty() || !named(named, name.toString()))
                    && (certHeader == null || !certHeader.contentEqualsIgnoreCase(name))) {
                sink.field(name, e.getValue());
            }
        }
        if (framing == CHUNKED_BODY) {
            sink.field(TRANSFER_ENCODING, CHUNKED);
        } else if (framing == 0) {
            sink.field(CONTENT_LENGTH, ZERO);
        } else if (framing > 0) {
            sink.field(CONTENT_LENGTH, Long.toString(framing));
        }
        if (websocket) {
            sink.field(CONNECTION, UPGRADE);
            sink.field(UPGRADE, WEBSOCKET);
        }
        String ip = client.ip;
        String xff = in.get(X_FORWARDED_FOR);
        sink.field(X_FORWARDED_FOR, xff == null || xff.isBlank() ? ip : xff + ", " + ip);
        sink.field(X_FORWARDED_PROTO, client.proto);
        String fwd = client.element(host);
        String prior = in.get(FORWARDED);
        sink.field(FORWARDED, prior == null || prior.isBlank() ? fwd : prior + ", " + fwd);
        String via = version.equals("HTTP/1.0") ? "1.0 " + VIA : "1.1 " + VIA;
        String priorVia = in.get(VIA_HEADER);
        sink.field(VIA_HEADER, priorVia == null || priorVia.isBlank() ? via : priorVia + ", " + via);
        if (certHeader != null && client.subject != null) {
            sink.field(certHeader, client.subject);
        }
    }

    /**
     * The framing of the body a request forwards: {@link #CHUNKED_BODY}, the Content-Length, or
     * {@link #NO_LENGTH}. A request sent without a body keeps a Content-Length of 0 when it had one.
     */
    static long framing(HttpRequest request, boolean sendsBody) {
        long length = HttpUtil.getContentLength(request, NO_LENGTH);
        if (!sendsBody) {
            return length >= 0 ? 0 : NO_LENGTH;
        }
        return HttpUtil.isTransferEncodingChunked(request) ? CHUNKED_BODY : length;
    }

    /**
     * True when the request's Connection field names a field that {@code varyValues} (the
     * response's Vary values) lists: the backend did not see that field, so a response stored
     * under the client's value of it would be filed under a value it was not made for.
     */
    static boolean hidesVariedField(HttpHeaders request, List<String> varyValues) {
        if (varyValues.isEmpty() || !request.contains(CONNECTION)) {
            return false;
        }
        Set<String> named = listedInConnection(request);
        if (named.isEmpty()) {
            return false;
        }
        for (String v : varyValues) {
            for (String field : v.split(",")) {
                if (named.contains(field.strip().toLowerCase(Locale.ROOT))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Request fields not copied from the client: Expect, and those this proxy writes itself (Host,
     * the framing, the forwarding fields, which are appended to).
     */
    private static boolean isWrittenInRequest(CharSequence name) {
        return switch (name.length()) {
            case 3 -> is(name, "via");
            case 4 -> is(name, "host");
            case 14 -> is(name, "content-length");
            case 6 -> is(name, "expect");
            case 9 -> is(name, "forwarded");
            case 15 -> is(name, "x-forwarded-for");
            case 17 -> is(name, "x-forwarded-proto");
            default -> false;
        };
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
