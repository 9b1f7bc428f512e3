package dev.portico.filestore;

import dev.portico.web.http.HeaderLines;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

/** Header fields between client and nodes: the end-to-end ones pass, hop-by-hop ones stay. */
final class NodeHeaders {

    /** Fields that describe one connection or the framing, never passed on (RFC 9110 §7.6.1). */
    private static final Set<String> HOP = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "content-length", "expect", "proxy-authorization", "proxy-authenticate",
            "date", "host");

    private NodeHeaders() {
    }

    /**
     * A request for a node: the client's end-to-end fields, its Host, and the body's framing when it
     * has one. The connection stays open for the next request unless the node closes it.
     *
     * @param contentLength the body's length, -1 for chunked, or -2 for no body
     */
    static HttpRequest request(HttpMethod method, String uri, HttpHeaders client, long contentLength,
                               boolean expectContinue) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        HttpHeaders h = r.headers();
        String host = client.get(HttpHeaderNames.HOST);
        if (host != null) {
            h.set(HttpHeaderNames.HOST, host);
        }
        for (Map.Entry<String, String> e : client) {
            if (!HOP.contains(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
                h.add(e.getKey(), e.getValue());
            }
        }
        if (contentLength >= 0) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        } else if (contentLength == -1) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        }
        if (expectContinue) {
            h.set(HttpHeaderNames.EXPECT, "100-continue");
        }
        return r;
    }

    /** The client's Host alone: for the router's own requests (stage lookups, parent collections). */
    static HttpHeaders hostOnly(HttpHeaders client) {
        HttpHeaders h = new io.netty.handler.codec.http.DefaultHttpHeaders();
        String host = client.get(HttpHeaderNames.HOST);
        if (host != null) {
            h.set(HttpHeaderNames.HOST, host);
        }
        return h;
    }

    /** A node's response fields for the client, without hop-by-hop and framing fields. */
    static HeaderLines response(HttpHeaders node) {
        return new HeaderLines() {
            @Override
            public int estimatedLength() {
                return 32 * node.size();
            }

            @Override
            public void writeTo(ByteBuf out) {
                for (Map.Entry<String, String> e : node) {
                    if (!HOP.contains(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
                        out.writeCharSequence(e.getKey(), StandardCharsets.ISO_8859_1);
                        out.writeByte(':').writeByte(' ');
                        out.writeCharSequence(e.getValue(), StandardCharsets.ISO_8859_1);
                        out.writeByte('\r').writeByte('\n');
                    }
                }
            }
        };
    }
}
