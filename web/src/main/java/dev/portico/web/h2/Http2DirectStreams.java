package dev.portico.web.h2;

import dev.portico.web.http.HttpConnection;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.codec.http2.Http2StreamVisitor;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits between an HTTP/2 connection's {@code Http2FrameCodec} and its {@code Http2MultiplexHandler}
 * and serves the streams that need no channel of their own on the connection's pipeline: a
 * {@code GET} or {@code HEAD} whose HEADERS end the stream (no body to receive, so no
 * flow-controlled input, body timeout or back-pressure on reads). Its request goes to the
 * service's {@link HttpConnection#forDirectStreams} one, which runs the same checks and handlers
 * as a child channel's {@code HttpConnection}; the exchange writes its frames on the stream here,
 * and file and streamed bodies through its own chunk writer. Every other stream (a body, another
 * method, a malformed header block) goes to the multiplexer as before: the codec's "stream
 * active" event, held until the stream's HEADERS show which it is, passes on, the multiplexer
 * makes the child channel, and the HEADERS follow.
 *
 * <p>Frames and events of a stream served here never reach the multiplexer, which knows only the
 * streams it made channels for. A stream error on one (the codec answers none for a stream it
 * handed out) is answered with RST_STREAM here, as a child channel's close would. On the events
 * the multiplexer passes to every active stream's channel (the connection writable again, input
 * or output shut down, TLS closed, an error), the codec's connection ({@link #connection()})
 * leaves the streams served here out of its iteration.
 */
final class Http2DirectStreams extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(Http2DirectStreams.class);

    /** The name of the multiplexer that follows: errors that must not reach it start after it. */
    static final String MULTIPLEXER = "h2-streams";

    private final HttpConnection exchanges;
    /** Streams served here and not yet closed, by id. */
    private final IntObjectMap<Http2FrameStream> direct = new IntObjectHashMap<>(8);
    /** The "stream active" event of a stream whose HEADERS have not come yet. */
    private Http2FrameStreamEvent held;
    /** The highest stream id seen active: a client's stream ids only grow (RFC 9113 §5.1.1). */
    private int lastOpened;
    private ChannelHandlerContext ctx;
    /** True while the multiplexer handles a connection-wide event: it must not see the streams served here. */
    private boolean hiding;
    private final Streams connection = new Streams();

    Http2DirectStreams(HttpConnection exchanges) {
        this.exchanges = exchanges;
    }

    /** The connection the codec must be built with. */
    DefaultHttp2Connection connection() {
        return connection;
    }

    /** Passes a connection-wide event on to the multiplexer, with the streams served here hidden from it. */
    private void hidden(Runnable fire) {
        if (direct.isEmpty()) {
            fire.run();
            return;
        }
        hiding = true;
        try {
            fire.run();
        } finally {
            hiding = false;
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        exchanges.bind(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof Http2FrameStreamEvent e) {
            Http2FrameStream stream = e.stream();
            if (e.type() == Http2FrameStreamEvent.Type.State) {
                Http2Stream.State state = stream.state();
                if ((state == Http2Stream.State.OPEN || state == Http2Stream.State.HALF_CLOSED_REMOTE)
                        && stream.id() > lastOpened) {
                    // A new stream: the HEADERS that opened it come next and decide where it goes.
                    lastOpened = stream.id();
                    release();
                    held = e;
                    return;
                }
                if (state == Http2Stream.State.CLOSED && direct.remove(stream.id()) != null) {
                    return;
                }
            } else if (direct.containsKey(stream.id())) {
                // Writability: the exchange's writes wait for the codec's flow control themselves.
                return;
            }
            if (held != null && held.stream() == stream) {
                release();
            }
            ctx.fireUserEventTriggered(evt);
            return;
        }
        hidden(() -> ctx.fireUserEventTriggered(evt));
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        hidden(ctx::fireChannelWritabilityChanged);
    }

    /** Passes a held "stream active" event on: that stream gets a child channel. */
    private void release() {
        Http2FrameStreamEvent e = held;
        if (e != null) {
            held = null;
            ctx.fireUserEventTriggered(e);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        exchanges.readStarted();
        if (msg instanceof Http2StreamFrame frame) {
            Http2FrameStream stream = frame.stream();
            if (held != null && held.stream() == stream) {
                if (frame instanceof Http2HeadersFrame h && servedHere(h)) {
                    held = null;
                    direct.put(stream.id(), stream);
                    Http2Headers headers = h.headers();
                    HttpMethod method = HttpMethod.GET.asciiName().contentEquals(headers.method())
                            ? HttpMethod.GET : HttpMethod.HEAD;
                    exchanges.serve(Http2StreamBridge.request(headers, method, true), stream);
                    return;
                }
                release();
            } else if (stream != null && direct.containsKey(stream.id())) {
                // Nothing more is read on a stream served here (its request has ended): a reset
                // closes it, which the codec reports as an event.
                ReferenceCountUtil.release(msg);
                return;
            }
            ctx.fireChannelRead(msg);
            return;
        }
        // GOAWAY, SETTINGS, PING: the multiplexer may look at every active stream.
        hidden(() -> ctx.fireChannelRead(msg));
    }

    /** A {@code GET} or {@code HEAD} with a path whose HEADERS end the stream. */
    private static boolean servedHere(Http2HeadersFrame frame) {
        if (!frame.isEndStream()) {
            return false;
        }
        Http2Headers h = frame.headers();
        CharSequence method = h.method();
        return method != null && h.path() != null
                && (HttpMethod.GET.asciiName().contentEquals(method) || HttpMethod.HEAD.asciiName().contentEquals(method));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // A stream whose HEADERS never came (the codec refused them) is handed on as before.
        release();
        // The codec flushes once this returns: the answers of the read leave together.
        exchanges.readComplete();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2FrameStreamException e && held != null && held.stream() == e.stream()) {
            // The codec refused the HEADERS of a stream it had opened (a bad content-length):
            // its child channel takes the error and resets the stream, as before.
            release();
        }
        if (cause instanceof Http2FrameStreamException e && direct.containsKey(e.stream().id())) {
            log.debug("HTTP/2 stream {} of {} failed: {}", e.stream().id(), ctx.channel().remoteAddress(),
                    cause.getCause() == null ? cause.toString() : cause.getCause().toString());
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(e.error()).stream(e.stream()));
            return;
        }
        hidden(() -> ctx.fireExceptionCaught(cause));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        direct.clear();
        ctx.fireChannelInactive();
    }

    /**
     * The codec's connection: while the multiplexer handles a connection-wide event, its visit of
     * every active stream skips the streams served here (it would look for their channels).
     */
    private final class Streams extends DefaultHttp2Connection {
        Streams() {
            super(true);
        }

        @Override
        public Http2Stream forEachActiveStream(Http2StreamVisitor visitor) throws Http2Exception {
            if (!hiding) {
                return super.forEachActiveStream(visitor);
            }
            return super.forEachActiveStream(s -> direct.containsKey(s.id()) || visitor.visit(s));
        }
    }
}
