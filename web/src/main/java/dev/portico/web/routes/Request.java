package dev.portico.web.routes;

import dev.portico.web.http.Exchange;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.net.InetSocketAddress;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A routed request as handlers see it: method, decoded path, path parameters, query and form
 * parameters (parsed on first use, see {@link UrlEncoded}), headers, and the body when the route
 * takes it whole. A malformed query or form answers 400 through {@link HttpError}.
 */
public final class Request {

    private final Exchange exchange;
    private final List<String> segments;
    private final Map<String, String> params;
    private final byte[] body;
    private Map<String, List<String>> query;
    private Map<String, List<String>> form;

    Request(Exchange exchange, List<String> segments, Map<String, String> params, byte[] body) {
        this.exchange = exchange;
        this.segments = segments;
        this.params = params;
        this.body = body;
    }

    Request withBody(byte[] body) {
        return new Request(exchange, segments, params, body);
    }

    Exchange exchange() {
        return exchange;
    }

    public String method() {
        return exchange.method().name();
    }

    /** The decoded path. */
    public String path() {
        return RoutePath.join(segments);
    }

    /** The decoded path segments; a trailing slash gives an empty last one. */
    public List<String> segments() {
        return segments;
    }

    /** The path as sent, still percent-encoded, without the query. */
    public String rawPath() {
        return exchange.rawPath();
    }

    /** A path parameter, or null. */
    public String param(String name) {
        return params.get(name);
    }

    public Map<String, String> params() {
        return params;
    }

    /** The query string as sent, without '?', or null. */
    public String rawQuery() {
        return exchange.query();
    }

    /** Query parameters: name → values. */
    public Map<String, List<String>> query() {
        if (query == null) {
            String raw = exchange.query();
            // the request line arrives as ISO-8859-1; raw UTF-8 bytes are recovered before decoding
            query = parse(raw == null ? null : new String(raw.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
        }
        return query;
    }

    /** The first value of a query parameter, or null. */
    public String query(String name) {
        List<String> v = query().get(name);
        return v == null ? null : v.getFirst();
    }

    /** Form fields of an {@code application/x-www-form-urlencoded} body; empty for other bodies. */
    public Map<String, List<String>> form() {
        if (form == null) {
            String type = header("Content-Type");
            boolean urlencoded = type != null && type.toLowerCase(Locale.ROOT).trim()
                    .startsWith("application/x-www-form-urlencoded");
            form = urlencoded ? parse(bodyText()) : Map.of();
        }
        return form;
    }

    /** The first value of a form field, or null. */
    public String form(String name) {
        List<String> v = form().get(name);
        return v == null ? null : v.getFirst();
    }

    /** The first value of a header, or null. */
    public String header(String name) {
        return exchange.headers().get(name);
    }

    /** Every value of a header. */
    public List<String> headers(String name) {
        return exchange.headers().getAll(name);
    }

    /** Header names, lower case. */
    public Set<String> headerNames() {
        Set<String> names = new TreeSet<>();
        HttpHeaders h = exchange.headers();
        h.names().forEach(n -> names.add(n.toLowerCase(Locale.ROOT)));
        return names;
    }

    /** The body; empty when there is none or when the route streams it. */
    public byte[] body() {
        return body == null ? new byte[0] : body.clone();
    }

    /** The body as text, in the charset the Content-Type names, else UTF-8. */
    public String bodyText() {
        return body == null ? "" : new String(body, charset());
    }

    public InetSocketAddress remoteAddress() {
        return exchange.remoteAddress();
    }

    private Charset charset() {
        String type = exchange.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (type != null) {
            for (String part : type.split(";")) {
                String p = part.trim();
                if (p.regionMatches(true, 0, "charset=", 0, 8)) {
                    try {
                        return Charset.forName(p.substring(8).replace("\"", "").trim());
                    } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
                        throw new HttpError(415, "unsupported charset " + p.substring(8));
                    }
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    private static Map<String, List<String>> parse(String text) {
        try {
            return UrlEncoded.parse(text);
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, e.getMessage());
        }
    }
}
