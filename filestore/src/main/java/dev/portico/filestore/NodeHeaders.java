package dev.portico.filestore;

import dev.portico.web.http.HeaderLines;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/** Header fields between client and nodes: the end-to-end ones pass, hop-by-hop ones stay. */
final class NodeHeaders {

    /** Fields that describe one connection or the framing, never passed on (RFC 9110 §7.6.1). */
    private static final AsciiString[] HOP = {HttpHeaderNames.CONNECTION, AsciiString.cached("keep-alive"),
            AsciiString.cached("proxy-connection"), HttpHeaderNames.TE, HttpHeaderNames.TRAILER,
            HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE, HttpHeaderNames.CONTENT_LENGTH,
            HttpHeaderNames.EXPECT, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.DATE, HttpHeaderNames.HOST};

    /** Headers of requests to nodes: their fields come from the client's, which the HTTP layer checked. */
    private static final DefaultHttpHeadersFactory UNCHECKED = DefaultHttpHeadersFactory.headersFactory()
            .withValidation(false);

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
        HttpHeaders h = UNCHECKED.newHeaders();
        CharSequence host = client.get(HttpHeaderNames.HOST);
        if (host != null) {
            h.set(HttpHeaderNames.HOST, host);
        }
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = client.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            if (!hop(e.getKey())) {
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
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri, h);
    }

    /** Whether a field is hop-by-hop or framing (any case), without building a lower-case copy. */
    static boolean hop(CharSequence name) {
        for (AsciiString h : HOP) {
            if (h.length() == name.length() && h.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
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
                for (Iterator<Map.Entry<CharSequence, CharSequence>> it = node.iteratorCharSequence(); it.hasNext(); ) {
                    Map.Entry<CharSequence, CharSequence> e = it.next();
                    if (!hop(e.getKey())) {
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
