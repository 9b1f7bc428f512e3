package dev.portico.web.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * One request and its response on a connection. Handlers read the request, then answer with
 * exactly one of the {@code respond…} methods, or take the body with {@link #receiveBody} and
 * answer when it has arrived. Responses are written in request order because every exchange of a
 * connection runs on its event loop, one after the other.
 *
 * <p>On an HTTP/2 stream the same calls write frames: the head becomes a HEADERS frame (its fields
 * from the same header lines, see {@link Http2Heads}; no status line, Connection or framing
 * field), an in-memory body one DATA frame, and a file or streamed body passes on as buffers that
 * the stream's bridge frames (by the Content-Length, or until {@link #endChunked}). A response
 * without a body ends the stream with its HEADERS.
 *
 * <p>A stream served on its connection's own pipeline (no child channel, see
 * {@link HttpConnection#forDirectStreams}) has a {@link Http2FrameStream}: every frame carries it,
 * and bodies of files, parts and streams go out as DATA frames written here
 * ({@link StreamBodyWriter}), since no bridge sits between the exchange and the codec.
 */
public final class Exchange {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] CONNECTION_CLOSE = "Connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECTION_KEEP_ALIVE = "Connection: keep-alive\r\n".getBytes(StandardCharsets.US_ASCII);
    /** No Connection field (HTTP/1.1 keeps the connection by default). */
    private static final byte[] NO_LINE = new byte[0];
    private static final byte[] CONTENT_LENGTH = "Content-Length: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNKED = "Transfer-Encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTINUE_11 = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    private final HttpConnection connection;
    /** The stream's connection's heads on HTTP/2; null on HTTP/1.x. */
    private final Http2Heads h2;
    /** The stream when it is served without a child channel ({@code ctx} is then the connection's); null otherwise. */
    private final Http2FrameStream stream;
    private final String version;
    private final boolean head;
    private final long startNanos;
    private final String rawPath;
    private final String query;
    private boolean keepAlive;
    private boolean responded;
    private int status;
    private long bytesSent;
    private BodySink sink;
    private boolean continueSent;
    private Object attachment;
    private boolean bodyOpen;
    private boolean rawBody;
    /** The Date line of the response instead of now (a cache answering a stored response), or null. */
    private byte[] dateLine;

    Exchange(ChannelHandlerContext ctx, HttpRequest request, HttpConnection connection, long startNanos) {
        this(ctx, request, connection, startNanos, null);
    }

    Exchange(ChannelHandlerContext ctx, HttpRequest request, HttpConnection connection, long startNanos,
             Http2FrameStream stream) {
        this.ctx = ctx;
        this.request = request;
        this.connection = connection;
        this.h2 = connection.http2Heads();
        this.stream = stream;
        this.startNanos = startNanos;
        HttpVersion v = request.protocolVersion();
        this.version = v.minorVersion() == 0 && request.decoderResult().isSuccess() ? "HTTP/1.0" : "HTTP/1.1";
        this.head = request.method().equals(HttpMethod.HEAD);
        this.keepAlive = isKeepAlive(request);
        String uri = request.uri();
        int q = uri.indexOf('?');
        int hash = uri.indexOf('#');
        int end = hash >= 0 ? hash : uri.length();
        if (q >= 0 && q < end) {
            this.rawPath = uri.substring(0, q);
            this.query = uri.substring(q + 1, end);
        } else {
            this.rawPath = uri.substring(0, end);
            this.query = null;
        }
    }

    private static boolean isKeepAlive(HttpRequest request) {
        String c = request.headers().get(HttpHeaderNames.CONNECTION);
        if (request.protocolVersion().minorVersion() == 0) {
            return c != null && containsToken(c, "keep-alive");
        }
        return c == null || !containsToken(c, "close");
    }

    private static boolean containsToken(String header, String token) {
        for (String part : header.split(",")) {
            if (part.trim().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }

    // ---- the request -------------------------------------------------------------------------

    public HttpRequest request() {
        return request;
    }

    public HttpMethod method() {
        return request.method();
    }

    public HttpHeaders headers() {
        return request.headers();
    }

    /** The request target's path, still percent-encoded, without query or fragment. */
    public String rawPath() {
        return rawPath;
    }

    /** The query string without '?', or null. */
    public String query() {
        return query;
    }

    /** "HTTP/1.1" or "HTTP/1.0": the version the request is handled (and its response rendered) as. */
    public String version() {
        return version;
    }

    /** The protocol the client speaks, for logs: {@link #version()}, or "HTTP/2.0" on an HTTP/2 stream. */
    public String protocol() {
        return connection.stream() ? "HTTP/2.0" : version;
    }

    public boolean isHead() {
        return head;
    }

    /** The Host header without a port, lower-cased, one trailing dot removed, or "" when absent. */
    public String host() {
        return HostField.normalise(request.headers().get(HttpHeaderNames.HOST));
    }

    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) ctx.channel().remoteAddress();
    }

    public ChannelHandlerContext context() {
        return ctx;
    }

    public long startNanos() {
        return startNanos;
    }

    public boolean keepAlive() {
        return keepAlive;
    }

    /** Makes the connection close after this response. */
    public void closeAfterResponse() {
        keepAlive = false;
    }

    public int status() {
        return status;
    }

    /** Bytes of the response written (head and body); on HTTP/2 the head counts as its HTTP/1.1 field lines. */
    public long bytesSent() {
        return bytesSent;
    }

    public boolean responded() {
        return responded;
    }

    /** Handler-owned state carried with the exchange. */
    public Object attachment() {
        return attachment;
    }

    public void attach(Object value) {
        this.attachment = value;
    }

    /** Now, in epoch milliseconds, from the server's clock. */
    public long now() {
        return connection.dates().millis();
    }

    /**
     * Makes the response carry this {@code "Date: ...\r\n"} line instead of the current time: a
     * cache answering a stored response keeps its Date (RFC 9111 §4). Null goes back to now.
     */
    public void keepDate(byte[] line) {
        dateLine = line;
    }

    /**
     * Writes an interim (1xx) response before the final one, to HTTP/1.1 clients only (RFC 9110
     * §15.2: a 1xx is never sent to an HTTP/1.0 client); a no-op once the answer has begun.
     *
     * @param lines the fields of the interim response (no Date or Connection is added)
     */
    public void interim(int code, HeaderLines lines) {
        if (responded || code < 100 || code > 199 || code == 101 || !version.equals("HTTP/1.1")
                || !ctx.channel().isActive()) {
            return;
        }
        if (h2 != null) {
            Http2Headers h = h2.start(code);
            addLines(h, lines);
            ctx.writeAndFlush(onStream(new DefaultHttp2HeadersFrame(h, false)));
            return;
        }
        ByteBuf out = ctx.alloc().directBuffer(32 + lines.estimatedLength());
        ResponseHead.writeStatusLine(out, version, code);
        lines.writeTo(out);
        out.writeBytes(CRLF);
        bytesSent += out.readableBytes();
        ctx.writeAndFlush(out);
    }

    // ---- the request body ----------------------------------------------------------------------

    /** True when the request announces a body: chunked framing or a positive Content-Length. */
    public boolean hasBody() {
        return io.netty.handler.codec.http.HttpUtil.isTransferEncodingChunked(request)
                || io.netty.handler.codec.http.HttpUtil.getContentLength(request, 0L) > 0;
    }

    /** Streams the body to {@code sink}; answers 100 Continue first when the client asked for it. */
    public void receiveBody(BodySink sink) {
        this.sink = sink;
        if (HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(request.headers().get(HttpHeaderNames.EXPECT, ""))
                && !version.equals("HTTP/1.0")) {
            ctx.writeAndFlush(h2 != null ? onStream(new DefaultHttp2HeadersFrame(h2.start(100), false))
                    : Unpooled.wrappedBuffer(CONTINUE_11));
            continueSent = true;
        }
    }

    BodySink sink() {
        return sink;
    }

    // ---- responses -----------------------------------------------------------------------------

    /** Answers with a complete in-memory body; Content-Length is set here. Takes ownership of body. */
    public void respond(ResponseHead h, ByteBuf body) {
        int length = body == null ? 0 : body.readableBytes();
        h.set("Content-Length", length);
        respondPrerendered(h.status(), h.renderHeaders(), body);
    }

    /** Answers with a text body in UTF-8. */
    public void respond(int status, String contentType, String body) {
        respond(ResponseHead.of(status).header("Content-Type", contentType),
                Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Answers with header lines rendered earlier (they must include Content-Length) and a body
     * that this method takes ownership of. HEAD requests get the headers only.
     */
    public void respondPrerendered(int status, byte[] headerLines, ByteBuf body) {
        if (h2 != null) {
            respondOnStream(status, headerLines, body);
            return;
        }
        begin(status);
        int bodyLength = body == null || !hasBody(status) ? 0 : body.readableBytes();
        ByteBuf out = startBuffer(status, headerLines, null, bodyLength);
        if (bodyLength > 0) {
            out.writeBytes(body, body.readerIndex(), bodyLength);
        }
        if (body != null) {
            body.release();
        }
        bytesSent += out.readableBytes();
        finish(ctx.write(out));
    }

    /**
     * The cache's fast path: header lines rendered earlier (with Content-Length), optional extra
     * lines rendered now, and a slice of a body array, copied into one buffer and one write. The
     * {@code headerLines} array must not change afterwards: on HTTP/2 its fields are kept by the
     * array's identity ({@link Http2Heads}).
     */
    public void respondPrerendered(int status, byte[] headerLines, byte[] extraLines, byte[] body, int offset,
                                   int length) {
        if (h2 != null) {
            respondOnStream(status, headerLines, extraLines, body, offset, length);
            return;
        }
        begin(status);
        int bodyLength = hasBody(status) ? length : 0;
        ByteBuf out = startBuffer(status, headerLines, extraLines, bodyLength);
        if (bodyLength > 0) {
            out.writeBytes(body, offset, bodyLength);
        }
        bytesSent += out.readableBytes();
        finish(ctx.write(out));
    }

    /**
     * Answers with a relayed head's lines, written straight into the response (as for
     * {@link #beginStream}: no Date, Connection or framing fields; this method adds them, with the
     * body's Content-Length) and a complete body that this method takes ownership of: head and
     * body in one buffer and one write, with no array of rendered lines in between. HEAD requests,
     * 204 and 304 get the head only.
     */
    public void respond(int status, HeaderLines lines, ByteBuf body) {
        if (h2 != null) {
            beginStream(status, lines, body.readableBytes());
            if (bodyOpen) {
                writeChunk(body);
                endChunked();
            } else {
                body.release();
            }
            return;
        }
        begin(status);
        int bodyLength = hasBody(status) ? body.readableBytes() : 0;
        ByteBuf out = linesHead(status, lines, body.readableBytes(), false, bodyLength);
        if (bodyLength > 0) {
            out.writeBytes(body, body.readerIndex(), bodyLength);
        }
        body.release();
        bytesSent += out.readableBytes();
        finish(ctx.write(out));
    }

    /** {@link #respondPrerendered(int, byte[], ByteBuf)} on a stream: HEADERS, and the body as one DATA frame. */
    private void respondOnStream(int status, byte[] headerLines, ByteBuf body) {
        begin(status);
        int bodyLength = body == null || !hasBody(status) ? 0 : body.readableBytes();
        ChannelFuture f = writeHead(status, headerLines, false, null, bodyLength == 0);
        if (bodyLength > 0) {
            bytesSent += bodyLength;
            f = ctx.write(onStream(new DefaultHttp2DataFrame(body, true)));
        } else if (body != null) {
            body.release();
        }
        finish(f);
    }

    /** The cache's fast path on a stream: HEADERS from the kept lines, and a DATA frame wrapping the body array. */
    private void respondOnStream(int status, byte[] headerLines, byte[] extraLines, byte[] body, int offset,
                                 int length) {
        begin(status);
        int bodyLength = hasBody(status) ? length : 0;
        ChannelFuture f = writeHead(status, headerLines, true, extraLines, bodyLength == 0);
        if (bodyLength > 0) {
            bytesSent += bodyLength;
            f = ctx.write(onStream(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body, offset, bodyLength), true)));
        }
        finish(f);
    }

    private boolean hasBody(int status) {
        return !head && status != 304 && status != 204;
    }

    private ByteBuf startBuffer(int status, byte[] headerLines, byte[] extraLines, int bodyLength) {
        byte[] date = dateLine != null ? dateLine : connection.dates().dateLine();
        byte[] conn = connectionLine();
        byte[] always = connection.connectionHeaders();
        int extra = extraLines == null ? 0 : extraLines.length;
        ByteBuf out = ctx.alloc().directBuffer(48 + date.length + headerLines.length + extra + always.length + conn.length
                + bodyLength);
        ResponseHead.writeStatusLine(out, version, status);
        out.writeBytes(date).writeBytes(headerLines);
        if (extra > 0) {
            out.writeBytes(extraLines);
        }
        out.writeBytes(always).writeBytes(conn).writeBytes(CRLF);
        return out;
    }

    /** Answers with a file region sent by zero-copy where the transport allows it. */
    public void respondFile(ResponseHead h, FileRegion region) {
        if (h2 != null) {
            respondFileOnStream(h.status(), h.renderHeaders(), false, null, region);
            return;
        }
        respondFile(h.status(), h.renderHeaders(), null, region);
    }

    /**
     * Answers with header lines rendered earlier (with Content-Length), optional extra lines
     * rendered now, and a file region sent by zero-copy where the transport allows it. The
     * {@code headerLines} array must not change afterwards, as for
     * {@link #respondPrerendered(int, byte[], byte[], byte[], int, int)}.
     */
    public void respondFile(int status, byte[] headerLines, byte[] extraLines, FileRegion region) {
        if (h2 != null) {
            respondFileOnStream(status, headerLines, true, extraLines, region);
            return;
        }
        begin(status);
        ByteBuf headBuf = startBuffer(status, headerLines, extraLines, 0);
        bytesSent += headBuf.readableBytes();
        if (head) {
            region.release();
            finish(ctx.write(headBuf));
            return;
        }
        bytesSent += region.count();
        connection.cork(true);
        ctx.write(headBuf);
        ChannelFuture f = ctx.write(region);
        f.addListener(done -> connection.cork(false));
        finish(f);
    }

    /** On a stream: the HEADERS frame, then the region, which the stream's bridge frames by its length. */
    private void respondFileOnStream(int status, byte[] headerLines, boolean stable, byte[] extraLines,
                                     FileRegion region) {
        begin(status);
        boolean bodiless = head || region.count() == 0;
        ChannelFuture f = writeHead(status, headerLines, stable, extraLines, bodiless);
        if (bodiless) {
            region.release();
            finish(f);
            return;
        }
        bytesSent += region.count();
        finish(stream != null ? StreamBodyWriter.write(ctx, stream, region) : ctx.write(region));
    }

    /** Answers with a head and a body made of several parts (multipart ranges). Takes the parts. */
    public void respondParts(ResponseHead h, Object... parts) {
        begin(h.status());
        ChannelFuture headWritten;
        if (h2 != null) {
            headWritten = writeHead(h.status(), h.renderHeaders(), false, null, head);
        } else {
            ByteBuf headBuf = renderHead(h);
            bytesSent += headBuf.readableBytes();
            headWritten = ctx.write(headBuf);
        }
        if (head) {
            for (Object p : parts) {
                io.netty.util.ReferenceCountUtil.release(p);
            }
            finish(headWritten);
            return;
        }
        ChannelFuture last = null;
        for (Object p : parts) {
            bytesSent += p instanceof ByteBuf b ? b.readableBytes() : ((FileRegion) p).count();
        }
        if (stream != null) {
            finish(StreamBodyWriter.write(ctx, stream, parts));
            return;
        }
        for (Object p : parts) {
            last = ctx.write(p);
        }
        finish(last);
    }

    /**
     * Starts a chunked response; write chunks with {@link #writeChunk} and end with
     * {@link #endChunked}. For HEAD, the head is written and the exchange completes at once.
     */
    public void beginChunked(ResponseHead h) {
        begin(h.status());
        h.set("Transfer-Encoding", "chunked");
        h.remove("Content-Length");
        if (version.equals("HTTP/1.0")) {
            keepAlive = false;
            h.remove("Transfer-Encoding");
        }
        if (h2 != null) {
            // The stream's DATA frames frame the body; an empty one ends it (endChunked).
            beginOnStream(h, head, false);
            return;
        }
        ByteBuf headBuf = renderHead(h);
        bytesSent += headBuf.readableBytes();
        if (head) {
            finish(ctx.write(headBuf));
            return;
        }
        rawBody = false;
        bodyOpen = true;
        ctx.write(headBuf);
    }

    /**
     * Starts a response whose body length is known: {@code h} carries the Content-Length, the
     * body follows with {@link #writeChunk} (written as is) and ends with {@link #endChunked}.
     * For HEAD, 204 and 304 only the head is written and the exchange completes at once; check
     * {@link #bodyOpen()} before writing.
     */
    public void beginFixedLength(ResponseHead h) {
        begin(h.status());
        if (h2 != null) {
            String length = h.get("Content-Length");
            beginOnStream(h, !hasBody(h.status()) || length == null || length.equals("0"), true);
            return;
        }
        ByteBuf headBuf = renderHead(h);
        bytesSent += headBuf.readableBytes();
        if (!hasBody(h.status())) {
            finish(ctx.write(headBuf));
            return;
        }
        rawBody = true;
        bodyOpen = true;
        ctx.write(headBuf);
    }

    /**
     * Starts a streamed response whose header lines the caller writes ({@code lines}: no Date,
     * Connection or framing fields; this method adds them). The body follows with
     * {@link #writeChunk} and ends with {@link #endChunked}, as after {@link #beginFixedLength}.
     * For HEAD, 204 and 304 only the head is written (with the Content-Length given, except for
     * 204) and the exchange completes at once; check {@link #bodyOpen()} before writing.
     *
     * @param contentLength the body's length, or -1 when unknown: the body is then chunked (for
     *                      HTTP/1.0 clients it is sent raw and the connection closes after it)
     */
    public void beginStream(int status, HeaderLines lines, long contentLength) {
        begin(status);
        boolean bodiless = !hasBody(status);
        boolean chunked = contentLength < 0 && !bodiless;
        if (chunked && version.equals("HTTP/1.0")) {
            keepAlive = false;
        }
        if (h2 != null) {
            beginStreamOnStream(status, lines, contentLength, bodiless || contentLength == 0, chunked);
            return;
        }
        ByteBuf out = linesHead(status, lines, contentLength, chunked, 0);
        bytesSent += out.readableBytes();
        if (bodiless) {
            finish(ctx.write(out));
            return;
        }
        rawBody = !chunked;
        bodyOpen = true;
        ctx.write(out);
    }

    /**
     * An HTTP/1.x head from relayed lines: the status line, Date, the connection's own fields, the
     * lines, the framing (Content-Length unless 204, or chunked) and Connection, in a buffer with
     * {@code room} more bytes for a body that follows in the same write.
     */
    private ByteBuf linesHead(int status, HeaderLines lines, long contentLength, boolean chunked, int room) {
        byte[] date = dateLine != null ? dateLine : connection.dates().dateLine();
        byte[] conn = connectionLine();
        byte[] always = connection.connectionHeaders();
        ByteBuf out = ctx.alloc().directBuffer(64 + date.length + lines.estimatedLength() + always.length + conn.length
                + room);
        ResponseHead.writeStatusLine(out, version, status);
        out.writeBytes(date).writeBytes(always);
        lines.writeTo(out);
        if (contentLength >= 0 && status != 204) {
            out.writeBytes(CONTENT_LENGTH);
            writeDecimal(out, contentLength);
            out.writeBytes(CRLF);
        } else if (chunked && version.equals("HTTP/1.1")) {
            out.writeBytes(CHUNKED);
        }
        out.writeBytes(conn).writeBytes(CRLF);
        return out;
    }

    /** A streamed body's head on a stream; {@code fixedLength}: the bridge frames the body by its content-length. */
    private void beginOnStream(ResponseHead h, boolean bodiless, boolean fixedLength) {
        ChannelFuture f = writeHead(h.status(), h.renderHeaders(), false, null, bodiless);
        if (bodiless) {
            finish(f);
            return;
        }
        rawBody = fixedLength;
        bodyOpen = true;
    }

    private void beginStreamOnStream(int status, HeaderLines lines, long contentLength, boolean bodiless,
                                     boolean chunked) {
        Http2Headers h = h2.start(status);
        addCommon(h);
        addLines(h, lines);
        if (contentLength >= 0 && status != 204) {
            h.setLong(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        }
        ChannelFuture f = ctx.write(onStream(new DefaultHttp2HeadersFrame(h, bodiless)));
        if (bodiless) {
            finish(f);
            return;
        }
        rawBody = !chunked;
        bodyOpen = true;
    }

    private static void writeDecimal(ByteBuf out, long value) {
        if (value < 10) {
            out.writeByte((int) ('0' + value));
            return;
        }
        writeDecimal(out, value / 10);
        out.writeByte((int) ('0' + value % 10));
    }

    /** True between the start of a streamed response and its end. */
    public boolean bodyOpen() {
        return bodyOpen;
    }

    /**
     * Answers 101 Switching Protocols and hands the connection over: the HTTP handlers leave the
     * pipeline once the head is written, and the caller relays raw bytes from then on. When
     * called from inside the handler, the next handler may still see the request's own end
     * ({@code LastHttpContent}) before any raw bytes; relays pass on only {@code ByteBuf}s.
     *
     * @return the future of the head's write
     */
    public ChannelFuture switchProtocols(ResponseHead h) {
        if (stream != null) {
            throw new IllegalStateException("101 Switching Protocols has no meaning on an HTTP/2 stream");
        }
        begin(101);
        ByteBuf headBuf = renderHead(h);
        bytesSent += headBuf.readableBytes();
        ChannelFuture f = ctx.writeAndFlush(headBuf);
        connection.detach();
        return f;
    }

    /** True when chunks are framed (HTTP/1.1); HTTP/1.0 gets the raw bytes and a close. */
    private boolean framed() {
        return !rawBody && h2 == null && version.equals("HTTP/1.1");
    }

    /** Writes one chunk; returns the write's future so callers can wait for it to drain. */
    public ChannelFuture writeChunk(ByteBuf data) {
        int n = data.readableBytes();
        if (n == 0) {
            data.release();
            return ctx.newSucceededFuture();
        }
        if (!framed()) {
            bytesSent += n;
            return ctx.writeAndFlush(stream != null ? onStream(new DefaultHttp2DataFrame(data, false)) : data);
        }
        ByteBuf size = ctx.alloc().buffer(12);
        size.writeCharSequence(Integer.toHexString(n), StandardCharsets.US_ASCII);
        size.writeBytes(CRLF);
        ctx.write(size);
        bytesSent += size.readableBytes() + n + 2;
        ctx.write(data);
        return ctx.writeAndFlush(Unpooled.wrappedBuffer(CRLF));
    }

    /** Ends a chunked response. */
    public void endChunked() {
        bodyOpen = false;
        if (h2 != null && !rawBody) {
            // A body of unknown length ends with an empty DATA frame that ends the stream.
            finish(ctx.writeAndFlush(onStream(new DefaultHttp2DataFrame(true))));
            return;
        }
        if (!framed()) {
            // On a stream served directly no bridge counts the bytes: an empty DATA frame ends it.
            finish(ctx.writeAndFlush(stream != null ? onStream(new DefaultHttp2DataFrame(true)) : Unpooled.EMPTY_BUFFER));
            return;
        }
        ByteBuf end = Unpooled.wrappedBuffer("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        bytesSent += 5;
        finish(ctx.writeAndFlush(end));
    }

    /** Answers with the error page of a status. */
    public void error(int status) {
        byte[] body = connection.errorPages().body(status);
        ResponseHead h = ResponseHead.of(status).header("Content-Type", "text/html; charset=utf-8");
        if (status == 405 || status == 501) {
            h.header("Allow", connection.allowedMethods());
        }
        respond(h, Unpooled.wrappedBuffer(body));
    }

    /** Answers an error and closes the connection afterwards. */
    public void errorAndClose(int status) {
        keepAlive = false;
        error(status);
    }

    /** Sends a redirect with a tiny HTML body. */
    public void redirect(int status, String location) {
        String safe = location.replace("&", "&amp;").replace("<", "&lt;").replace("\"", "&quot;");
        respond(ResponseHead.of(status).header("Location", location).header("Content-Type", "text/html; charset=utf-8"),
                Unpooled.wrappedBuffer(("<!DOCTYPE html>\n<html><body><a href=\"" + safe + "\">" + status + " "
                        + Status.reason(status) + "</a></body></html>\n").getBytes(StandardCharsets.UTF_8)));
    }

    private void begin(int code) {
        if (responded) {
            throw new IllegalStateException("exchange already answered");
        }
        responded = true;
        status = code;
        if (!connection.bodyComplete()) {
            // Answered before the body arrived: the rest of it is discarded by the connection.
            sink = null;
            if (!continueSent && HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(
                    request.headers().get(HttpHeaderNames.EXPECT, ""))) {
                // The client may never send the body it was not asked for; the connection's
                // framing is then unknown, so it closes after this answer.
                keepAlive = false;
            }
        }
    }

    /**
     * HTTP/2: writes the response head as a HEADERS frame, ending the stream when no body follows.
     * The head counts in {@link #bytesSent()} as its fields' HTTP/1.1 lines.
     *
     * @param stable true when {@code headerLines} is an array reused unchanged (a cached file's)
     */
    private ChannelFuture writeHead(int status, byte[] headerLines, boolean stable, byte[] extraLines,
                                    boolean endStream) {
        Http2Headers h = h2.start(status);
        addCommon(h);
        if (stable) {
            h2.addStable(h, headerLines);
        } else {
            Http2Heads.addOnce(h, headerLines);
        }
        bytesSent += headerLines.length;
        if (extraLines != null) {
            Http2Heads.addOnce(h, extraLines);
            bytesSent += extraLines.length;
        }
        return ctx.write(onStream(new DefaultHttp2HeadersFrame(h, endStream)));
    }

    /** The frame, on this exchange's stream when it is served without a child channel. */
    private DefaultHttp2HeadersFrame onStream(DefaultHttp2HeadersFrame frame) {
        return stream == null ? frame : frame.stream(stream);
    }

    private DefaultHttp2DataFrame onStream(DefaultHttp2DataFrame frame) {
        return stream == null ? frame : frame.stream(stream);
    }

    /** The stream this exchange answers when served without a child channel; null otherwise. */
    Http2FrameStream http2Stream() {
        return stream;
    }

    /**
     * Gives up on the response under way: the connection closes (on an HTTP/2 stream, only the
     * stream, reset with CANCEL). For a failure after the head has gone.
     */
    public void abort() {
        connection.abort(this);
    }

    /** Adds the fields of lines a caller writes (a backend's, relayed). */
    private void addLines(Http2Headers h, HeaderLines lines) {
        ByteBuf rendered = ctx.alloc().heapBuffer(lines.estimatedLength());
        try {
            lines.writeTo(rendered);
            bytesSent += rendered.readableBytes();
            Http2Heads.addOnce(h, rendered);
        } finally {
            rendered.release();
        }
    }

    /** The fields every head has: Date, and the connection's own (Strict-Transport-Security). */
    private void addCommon(Http2Headers h) {
        byte[] date = dateLine != null ? dateLine : connection.dates().dateLine();
        byte[] always = connection.connectionHeaders();
        h2.addStable(h, date);
        h2.addStable(h, always);
        bytesSent += date.length + always.length;
    }

    private ByteBuf renderHead(ResponseHead h) {
        byte[] headers = h.renderHeaders();
        byte[] date = dateLine != null ? dateLine : connection.dates().dateLine();
        byte[] conn = connectionLine();
        byte[] always = connection.connectionHeaders();
        ByteBuf out = ctx.alloc().directBuffer(32 + date.length + headers.length + always.length + conn.length + 2);
        ResponseHead.writeStatusLine(out, version, h.status());
        out.writeBytes(date).writeBytes(headers).writeBytes(always).writeBytes(conn).writeBytes(CRLF);
        return out;
    }

    private byte[] connectionLine() {
        if (!keepAlive || connection.closing()) {
            keepAlive = false;
            return CONNECTION_CLOSE;
        }
        return version.equals("HTTP/1.0") ? CONNECTION_KEEP_ALIVE : NO_LINE;
    }

    private void finish(ChannelFuture written) {
        if (!keepAlive && stream == null) {
            // On a stream served directly the answer has ended the stream: nothing else to close.
            ctx.flush();
            written.addListener(ChannelFutureListener.CLOSE);
        }
        connection.responseComplete(this);
    }
}
