package dev.portico.web.h2;

import dev.portico.web.http.Http2Heads;
import dev.portico.web.http.RequestTarget;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.AsciiString;
import io.netty.util.ByteProcessor;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.PromiseCombiner;

import java.util.Map;

/**
 * The first handler of an HTTP/2 stream's child channel: it lets the HTTP/1.1 handlers after it
 * ({@code HttpConnection} and its exchanges) serve the stream unchanged.
 *
 * <p>Inbound, the stream's HEADERS become the {@link HttpRequest} the HTTP/1.1 decoder would
 * have produced ({@code Host} from {@code :authority}, cookies joined, the target checked by
 * {@link RequestTarget}, {@code Transfer-Encoding: chunked} when a body follows without a
 * length), and its DATA frames become {@link io.netty.handler.codec.http.HttpContent}s, the one
 * ending the stream a {@link LastHttpContent}. Trailers end the body and are dropped.
 *
 * <p>Outbound, an exchange writes its heads as HEADERS frames itself (see
 * {@link dev.portico.web.http.Http2Heads}), and in-memory bodies as DATA frames: they pass on, and
 * tell the bridge how the body that follows is framed. Body buffers after a head with a
 * {@code content-length} become DATA frames until that many bytes have gone, the last one ending
 * the stream; after a head without one, until the exchange writes the empty DATA frame that ends it.
 * Buffers pass on as they are, not copied.
 *
 * <p>HTTP/1.1 bytes written without such a head (a connection-level answer such as a 408) are
 * read as before: the status line and fields become a HEADERS frame (names lower-cased,
 * connection-specific fields dropped), an interim (1xx) head a HEADERS frame of its own, and the
 * body, framed by Content-Length or chunked, DATA frames passed on as slices; the frame that
 * carries the last byte ends the stream. A bodiless answer (HEAD, 204, 304, no bytes) ends it
 * with its HEADERS.
 */
public final class Http2StreamBridge extends ChannelDuplexHandler {

    /**
     * Where the outbound side is: HEAD before a head; LENGTH in a body of known length, STREAM in
     * one that the exchange ends (after a HEADERS frame it wrote); the CHUNK states in a chunked
     * HTTP/1.1 body; DONE once the stream has ended.
     */
    private enum Out { HEAD, LENGTH, STREAM, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, DONE }

    private boolean requestSeen;
    private boolean requestEnded;
    private boolean head;

    private Out out = Out.HEAD;
    /** Bytes of a head or of a chunk-size line that arrived split over writes; null otherwise. */
    private ByteBuf pending;
    /** Body bytes left: of the Content-Length, or of the current chunk (plus its CRLF). */
    private long remaining;

    // ---- inbound: frames to HTTP/1.1 messages ---------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2HeadersFrame h) {
            onHeaders(ctx, h);
        } else if (msg instanceof Http2DataFrame d) {
            onData(ctx, d);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onHeaders(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
        if (requestSeen) {
            // Trailers: they end the body; their fields are not passed on.
            if (!requestEnded) {
                requestEnded = true;
                ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            return;
        }
        requestSeen = true;
        Http2Headers h = frame.headers();
        CharSequence method = h.method();
        CharSequence path = h.path();
        if (method == null || path == null || HttpMethod.CONNECT.asciiName().contentEquals(method)) {
            // No request to hand on (RFC 9113 §8.3.1); CONNECT is not served.
            requestEnded = true;
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(
                    method == null || path == null ? Http2Error.PROTOCOL_ERROR : Http2Error.REFUSED_STREAM));
            return;
        }
        boolean ends = frame.isEndStream();
        HttpMethod m;
        try {
            m = method(method);
        } catch (IllegalArgumentException e) {
            requestEnded = true;
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR));
            return;
        }
        head = m.equals(HttpMethod.HEAD);
        HttpRequest request = request(h, m, ends);
        ctx.fireChannelRead(request);
        if (ends) {
            requestEnded = true;
            ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    /**
     * The {@link HttpRequest} the HTTP/1.1 decoder would have produced for a request's header
     * block: {@code Host} from {@code :authority}, cookies joined, the target checked by
     * {@link RequestTarget} (a refused one makes a request that failed to decode, answered 400),
     * and {@code Transfer-Encoding: chunked} when a body follows ({@code ends} false) without a
     * {@code content-length}.
     */
    static HttpRequest request(Http2Headers h, HttpMethod m, boolean ends) {
        HttpHeaders fields = new DefaultHttpHeaders(false);
        StringBuilder cookies = null;
        CharSequence authority = h.authority();
        for (Map.Entry<CharSequence, CharSequence> e : h) {
            CharSequence name = e.getKey();
            if (name.length() > 0 && name.charAt(0) == ':') {
                continue;
            }
            if (HttpHeaderNames.COOKIE.contentEquals(name)) {
                // Cookies may come split into fields; HTTP/1.1 has one line (RFC 9113 §8.2.3).
                if (cookies == null) {
                    cookies = new StringBuilder(e.getValue());
                } else {
                    cookies.append("; ").append(e.getValue());
                }
                continue;
            }
            if (HttpHeaderNames.HOST.contentEquals(name) && authority != null) {
                continue;
            }
            fields.add(name, e.getValue());
        }
        if (cookies != null) {
            fields.set(HttpHeaderNames.COOKIE, cookies.toString());
        }
        if (authority != null) {
            fields.set(HttpHeaderNames.HOST, authority);
        }
        if (!ends && !fields.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            fields.set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        }
        String target = h.path().toString();
        try {
            return new DefaultHttpRequest(HttpVersion.HTTP_1_1, m, RequestTarget.check(target), fields);
        } catch (RequestTarget.Refused e) {
            HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, m, "/", fields);
            request.setDecoderResult(DecoderResult.failure(e));
            return request;
        }
    }

    /** The method named, without a string for the common ones. */
    static HttpMethod method(CharSequence name) {
        if (HttpMethod.GET.asciiName().contentEquals(name)) {
            return HttpMethod.GET;
        }
        if (HttpMethod.HEAD.asciiName().contentEquals(name)) {
            return HttpMethod.HEAD;
        }
        return HttpMethod.valueOf(name.toString());
    }

    private void onData(ChannelHandlerContext ctx, Http2DataFrame frame) {
        if (!requestSeen || requestEnded) {
            frame.release();
            return;
        }
        ByteBuf data = frame.content();
        if (frame.isEndStream()) {
            requestEnded = true;
            ctx.fireChannelRead(new DefaultLastHttpContent(data));
        } else if (data.isReadable()) {
            ctx.fireChannelRead(new DefaultHttpContent(data));
        } else {
            data.release();
        }
    }

    // ---- outbound: HTTP/1.1 bytes to frames -------------------------------------------------------

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf)) {
            if (msg instanceof Http2HeadersFrame h) {
                onHeadFrame(ctx, h, promise);
                return;
            }
            if (msg instanceof Http2DataFrame d && d.isEndStream()) {
                out = Out.DONE;
            }
            ctx.write(msg, promise);
            return;
        }
        if (out == Out.LENGTH || out == Out.STREAM) {
            writeBody(ctx, buf, promise);
            return;
        }
        ByteBuf in = buf;
        if (pending != null) {
            in = pending;
            pending = null;
            in.writeBytes(buf);
            buf.release();
        }
        Frames frames = new Frames(ctx);
        try {
            parse(ctx, in, frames);
        } catch (RuntimeException e) {
            frames.release();
            in.release();
            promise.setFailure(e);
            ctx.close();
            return;
        }
        in.release();
        frames.writeAll(promise);
    }

    /** A head the exchange wrote as a frame: the body that follows is framed by its length, or ended by the exchange. */
    private void onHeadFrame(ChannelHandlerContext ctx, Http2HeadersFrame frame, ChannelPromise promise) {
        if (frame.isEndStream()) {
            out = Out.DONE;
            ctx.write(frame, promise);
            return;
        }
        Http2Headers h = frame.headers();
        CharSequence status = h.status();
        if (status != null && status.length() == 3 && status.charAt(0) == '1') {
            // An interim head: the final one follows.
            ctx.write(frame, promise);
            return;
        }
        long length = h.getLong(HttpHeaderNames.CONTENT_LENGTH, -1L);
        if (length == 0) {
            // Nothing follows: an empty DATA frame ends the stream.
            out = Out.DONE;
            PromiseCombiner combiner = new PromiseCombiner(ctx.executor());
            combiner.add(ctx.write(frame));
            combiner.add(ctx.write(new DefaultHttp2DataFrame(true)));
            combiner.finish(promise);
            return;
        }
        remaining = length;
        out = length > 0 ? Out.LENGTH : Out.STREAM;
        ctx.write(frame, promise);
    }

    /** A body buffer after a head frame: one DATA frame of it, the one that completes the length ending the stream. */
    private void writeBody(ChannelHandlerContext ctx, ByteBuf buf, ChannelPromise promise) {
        int n = buf.readableBytes();
        if (n == 0) {
            buf.release();
            promise.setSuccess();
            return;
        }
        if (out == Out.STREAM || n < remaining) {
            if (out == Out.LENGTH) {
                remaining -= n;
            }
            ctx.write(new DefaultHttp2DataFrame(buf, false), promise);
            return;
        }
        ByteBuf data = buf;
        if (n > remaining) {
            // More than the head announced: the excess is dropped, as after the end of an HTTP/1.1 body.
            data = buf.retainedSlice(buf.readerIndex(), (int) remaining);
            buf.release();
        }
        remaining = 0;
        out = Out.DONE;
        ctx.write(new DefaultHttp2DataFrame(data, true), promise);
    }

    /** Turns the bytes of {@code buf} into frames; the slices it takes are retained. */
    private void parse(ChannelHandlerContext ctx, ByteBuf buf, Frames frames) {
        while (buf.isReadable()) {
            switch (out) {
                case HEAD -> {
                    ByteBuf headBytes = untilBlankLine(buf);
                    if (headBytes == null) {
                        return;
                    }
                    onResponseHead(headBytes, frames);
                }
                case LENGTH -> {
                    int n = (int) Math.min(remaining, buf.readableBytes());
                    remaining -= n;
                    boolean last = remaining == 0;
                    frames.add(new DefaultHttp2DataFrame(buf.readRetainedSlice(n), last));
                    if (last) {
                        out = Out.DONE;
                    }
                }
                case CHUNK_SIZE -> {
                    ByteBuf line = untilLineEnd(buf);
                    if (line == null) {
                        return;
                    }
                    remaining = chunkSize(line);
                    out = remaining == 0 ? Out.TRAILERS : Out.CHUNK_DATA;
                }
                case CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, buf.readableBytes());
                    remaining -= n;
                    frames.add(new DefaultHttp2DataFrame(buf.readRetainedSlice(n), false));
                    if (remaining == 0) {
                        remaining = 2;
                        out = Out.CHUNK_END;
                    }
                }
                case CHUNK_END -> {
                    int n = (int) Math.min(remaining, buf.readableBytes());
                    buf.skipBytes(n);
                    remaining -= n;
                    if (remaining == 0) {
                        out = Out.CHUNK_SIZE;
                    }
                }
                case TRAILERS -> {
                    ByteBuf line = untilLineEnd(buf);
                    if (line == null) {
                        return;
                    }
                    if (!line.isReadable()) {
                        frames.add(new DefaultHttp2DataFrame(ctx.alloc().buffer(0), true));
                        out = Out.DONE;
                    }
                }
                case DONE -> buf.skipBytes(buf.readableBytes());
            }
        }
    }

    private void onResponseHead(ByteBuf headBytes, Frames frames) {
        int lineEnd = headBytes.indexOf(headBytes.readerIndex(), headBytes.writerIndex(), (byte) '\n');
        // "HTTP/1.1 200 Reason": the code is at a fixed place.
        int codeAt = headBytes.readerIndex() + 9;
        if (lineEnd < 0 || lineEnd < codeAt + 3) {
            throw new IllegalStateException("malformed status line written to an HTTP/2 stream");
        }
        int status = (headBytes.getByte(codeAt) - '0') * 100 + (headBytes.getByte(codeAt + 1) - '0') * 10
                + (headBytes.getByte(codeAt + 2) - '0');
        Http2Headers h = new DefaultHttp2Headers(false);
        h.status(HttpResponseStatus.valueOf(status).codeAsText());
        long length = -1;
        boolean chunked = false;
        int at = lineEnd + 1;
        int end = headBytes.writerIndex();
        while (at < end) {
            int eol = headBytes.indexOf(at, end, (byte) '\n');
            if (eol < 0) {
                eol = end;
            }
            int stop = eol > at && headBytes.getByte(eol - 1) == '\r' ? eol - 1 : eol;
            if (stop > at) {
                int colon = headBytes.indexOf(at, stop, (byte) ':');
                if (colon > at) {
                    AsciiString name = new AsciiString(ByteBufUtil.getBytes(headBytes, at, colon - at), false)
                            .toLowerCase();
                    int v = colon + 1;
                    while (v < stop && (headBytes.getByte(v) == ' ' || headBytes.getByte(v) == '\t')) {
                        v++;
                    }
                    AsciiString value = new AsciiString(ByteBufUtil.getBytes(headBytes, v, stop - v), false).trim();
                    if (HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)) {
                        chunked = true;
                    } else if (HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)) {
                        length = value.parseLong();
                    }
                    if (!Http2Heads.connectionSpecific(name)) {
                        h.add(name, value);
                    }
                }
            }
            at = eol + 1;
        }
        if (status < 200) {
            // An interim answer: its own HEADERS frame, then the final head follows.
            if (status != 101) {
                frames.add(new DefaultHttp2HeadersFrame(h, false));
                return;
            }
            throw new IllegalStateException("101 Switching Protocols has no meaning on an HTTP/2 stream");
        }
        boolean bodiless = head || status == 204 || status == 304 || (!chunked && length <= 0);
        frames.add(new DefaultHttp2HeadersFrame(h, bodiless));
        if (bodiless) {
            out = Out.DONE;
        } else if (chunked) {
            out = Out.CHUNK_SIZE;
        } else {
            remaining = length;
            out = Out.LENGTH;
        }
    }

    private static long chunkSize(ByteBuf line) {
        long size = 0;
        for (int i = line.readerIndex(); i < line.writerIndex(); i++) {
            int c = Character.digit(line.getByte(i), 16);
            if (c < 0) {
                break;
            }
            size = size * 16 + c;
        }
        return size;
    }

    /**
     * The bytes up to and including the blank line that ends a head, or null when it has not come
     * yet: the bytes then wait in {@link #pending} for the next write.
     */
    private ByteBuf untilBlankLine(ByteBuf buf) {
        int end = blankLineEnd(buf);
        return end < 0 ? keep(buf) : buf.readSlice(end - buf.readerIndex());
    }

    /** One line without its line end, or null (kept) when it has not ended yet. */
    private ByteBuf untilLineEnd(ByteBuf buf) {
        int nl = buf.indexOf(buf.readerIndex(), buf.writerIndex(), (byte) '\n');
        if (nl < 0) {
            return keep(buf);
        }
        ByteBuf line = buf.readSlice(nl + 1 - buf.readerIndex());
        int w = line.writerIndex() - 1;
        if (w > line.readerIndex() && line.getByte(w - 1) == '\r') {
            w--;
        }
        return line.writerIndex(w);
    }

    private ByteBuf keep(ByteBuf buf) {
        pending = buf.alloc().heapBuffer(Math.max(256, buf.readableBytes() * 2));
        pending.writeBytes(buf);
        return null;
    }

    private static int blankLineEnd(ByteBuf b) {
        int i = b.forEachByte(b.readerIndex(), b.readableBytes(), new ByteProcessor() {
            private int newlines;

            @Override
            public boolean process(byte value) {
                if (value == '\n') {
                    return ++newlines < 2;
                }
                if (value != '\r') {
                    newlines = 0;
                }
                return true;
            }
        });
        return i < 0 ? -1 : i + 1;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (pending != null) {
            pending.release();
            pending = null;
        }
        ctx.fireChannelInactive();
    }

    /** The frames made from one write, written with that write's promise. */
    private static final class Frames {
        private final ChannelHandlerContext ctx;
        private Object first;
        private java.util.ArrayList<Object> more;

        Frames(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        void add(Object frame) {
            if (first == null) {
                first = frame;
            } else {
                if (more == null) {
                    more = new java.util.ArrayList<>(4);
                }
                more.add(frame);
            }
        }

        void writeAll(ChannelPromise promise) {
            if (first == null) {
                promise.setSuccess();
            } else if (more == null) {
                ctx.write(first, promise);
            } else {
                PromiseCombiner combiner = new PromiseCombiner(ctx.executor());
                combiner.add(ctx.write(first));
                for (Object f : more) {
                    combiner.add(ctx.write(f));
                }
                combiner.finish(promise);
            }
        }

        void release() {
            ReferenceCountUtil.release(first);
            if (more != null) {
                more.forEach(ReferenceCountUtil::release);
            }
        }
    }
}
