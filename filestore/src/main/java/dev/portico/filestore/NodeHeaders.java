package dev.portico.filestore;

import dev.portico.proxy.RequestHeadWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * Header fields between client and nodes: the end-to-end ones pass, hop-by-hop ones stay. A
 * node's answer reaches the client through the proxy's {@code UpstreamHead}, which drops the same
 * fields.
 */
final class NodeHeaders {

    /** Fields that describe one connection or the framing, never passed on (RFC 9110 §7.6.1). */
    private static final AsciiString[] HOP = {HttpHeaderNames.CONNECTION, AsciiString.cached("keep-alive"),
            AsciiString.cached("proxy-connection"), HttpHeaderNames.TE, HttpHeaderNames.TRAILER,
            HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE, HttpHeaderNames.CONTENT_LENGTH,
            HttpHeaderNames.EXPECT, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.DATE, HttpHeaderNames.HOST};

    private static final byte[] CHUNKED = "transfer-encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EXPECT_CONTINUE = "expect: 100-continue\r\n".getBytes(StandardCharsets.US_ASCII);

    private NodeHeaders() {
    }

    /**
     * A request for a node: the client's end-to-end fields, its Host, and the body's framing when it
     * has one. The connection stays open for the next request unless the node closes it.
     *
     * @param contentLength the body's length, -1 for chunked, or -2 for no body
     */
    static Request request(HttpMethod method, String uri, HttpHeaders client, long contentLength,
                           boolean expectContinue) {
        return new Request(method, uri, client, contentLength, expectContinue);
    }

    /**
     * A request head for a node, written straight into a buffer when it is sent (and again when a
     * kept connection turned out closed): no header map is built per request.
     *
     * @param client        the client's fields (checked by the HTTP layer when they were read)
     * @param contentLength the body's length, -1 for chunked, or -2 for no body
     */
    record Request(HttpMethod method, String uri, HttpHeaders client, long contentLength, boolean expectContinue) {

        /** Whether the body goes in chunks. */
        boolean chunked() {
            return contentLength == -1;
        }

        /** The head: request line, Host, the client's end-to-end fields, the framing, the empty line. */
        ByteBuf render(ByteBufAllocator alloc) {
            ByteBuf out = alloc.directBuffer(128 + uri.length() + 48 * client.size());
            RequestHeadWriter.requestLine(out, method, uri);
            String host = client.get(HttpHeaderNames.HOST);
            if (host != null) {
                RequestHeadWriter.field(out, HttpHeaderNames.HOST, host);
            }
            for (Iterator<Map.Entry<CharSequence, CharSequence>> it = client.iteratorCharSequence(); it.hasNext(); ) {
                Map.Entry<CharSequence, CharSequence> e = it.next();
                if (!hop(e.getKey())) {
                    RequestHeadWriter.field(out, e.getKey(), e.getValue());
                }
            }
            if (contentLength >= 0) {
                RequestHeadWriter.field(out, HttpHeaderNames.CONTENT_LENGTH, Long.toString(contentLength));
            } else if (contentLength == -1) {
                out.writeBytes(CHUNKED);
            }
            if (expectContinue) {
                out.writeBytes(EXPECT_CONTINUE);
            }
            RequestHeadWriter.end(out);
            return out;
        }
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
}
