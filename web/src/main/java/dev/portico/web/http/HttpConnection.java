package dev.portico.web.http;

import dev.portico.core.config.Durations;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.DefaultMessageSizeEstimator;
import io.netty.channel.FileRegion;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The HTTP/1.x state of one connection, after the decoder: it turns decoded requests into
 * exchanges one at a time, holds pipelined requests until the one before has answered, streams
 * bodies to their sinks, enforces limits and timeouts, and flushes once per read so that a batch
 * of pipelined responses leaves in one write.
 *
 * <p>A client that sends requests without reading the answers meets back-pressure: once the
 * answers waiting in the channel pass its high-water mark, or {@link HttpOptions#maxPipelined()}
 * requests wait for their turn, the decoder stops at the next request and the socket is not read
 * until the answers have gone out. Bytes of a file region count as waiting, as buffers do.
 *
 * <p>While answers wait for the socket, whatever the phase, the clock is
 * {@link HttpOptions#sendTimeout()} from the last time some of their bytes left: a client that
 * stops reading is closed after it, keep-alive or not, and the close is logged at INFO. The idle
 * timeout counts only once every answer has gone out.
 */
public final class HttpConnection extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(HttpConnection.class);
    private static final byte[] BUSY_HEAD = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 20\r\nRetry-After: 1\r\nConnection: close\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BUSY_TAIL = "\r\ntoo many connections".getBytes(StandardCharsets.US_ASCII);

    /** A user event that asks the connection to finish its current exchange and close. */
    public static final Object DRAIN = new Object() {
        @Override
        public String toString() {
            return "DRAIN";
        }
    };

    /** Answers written but not yet taken by the socket: above the high mark reading stops. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    private enum Phase { IDLE, HEADERS, BODY, RESPONDING }

    private final Supplier<HttpContext> contexts;
    /** True on an HTTP/2 stream: not a connection of its own, never counted or corked. */
    private final boolean stream;
    /**
     * True for the exchanges of an HTTP/2 connection's streams served without child channels: no
     * handler in a pipeline, but the object their exchanges report to ({@link #serve}).
     */
    private final boolean direct;
    private HttpContext context;
    private ChannelHandlerContext ctx;
    /** Pipelined messages waiting for the exchange before them; small at first (most connections never pipeline). */
    private final ArrayDeque<Object> queued = new ArrayDeque<>(2);
    /** Requests among {@link #queued}. */
    private int queuedRequests;
    /** The decoder before this handler, which waits for it between requests; null if another. */
    private StrictRequestDecoder decoder;
    private Exchange current;
    private boolean currentComplete = true;
    private boolean bodyComplete = true;
    private long bodyBytes;
    private boolean draining;
    /** Between a socket read and its read-complete: responses are flushed together at the end. */
    private boolean inRead;
    private boolean closing;
    private boolean counted;
    private Phase phase = Phase.IDLE;
    private long phaseStart = System.nanoTime();
    private ScheduledFuture<?> timer;
    /** True while answers waited for the socket at the last check. */
    private boolean sending;
    private long lastSendProgress;
    /** When {@link #lastSendProgress} last changed ({@link System#nanoTime()}). */
    private long lastSendAt;

    /** Header lines every response of this connection carries (Strict-Transport-Security), or empty. */
    private final byte[] connectionHeaders;
    /** On an HTTP/2 stream, its connection's response heads; null otherwise. */
    private Http2Heads http2Heads;

    public HttpConnection(Supplier<HttpContext> contexts) {
        this(contexts, false, new byte[0]);
    }

    /**
     * @param connectionHeaders complete header lines ({@code "Name: value\r\n"}) added to every
     *                          response of this connection, such as Strict-Transport-Security on TLS
     */
    public HttpConnection(Supplier<HttpContext> contexts, byte[] connectionHeaders) {
        this(contexts, false, connectionHeaders);
    }

    private HttpConnection(Supplier<HttpContext> contexts, boolean stream, byte[] connectionHeaders) {
        this(contexts, stream, false, connectionHeaders);
    }

    private HttpConnection(Supplier<HttpContext> contexts, boolean stream, boolean direct, byte[] connectionHeaders) {
        this.contexts = contexts;
        this.stream = stream;
        this.direct = direct;
        this.context = contexts.get();
        this.connectionHeaders = connectionHeaders;
    }

    byte[] connectionHeaders() {
        return connectionHeaders;
    }

    /**
     * The exchanges of one HTTP/2 stream (behind {@code dev.portico.web.h2.Http2StreamBridge}):
     * the stream is not counted as a connection (its h2 connection is) and its exchanges report
     * {@code HTTP/2.0} as their protocol.
     */
    public static HttpConnection forStream(Supplier<HttpContext> contexts) {
        return new HttpConnection(contexts, true, new byte[0]);
    }

    /** {@link #forStream(Supplier)} whose responses also carry {@code connectionHeaders} (HSTS on TLS). */
    public static HttpConnection forStream(Supplier<HttpContext> contexts, byte[] connectionHeaders) {
        return new HttpConnection(contexts, true, connectionHeaders);
    }

    /**
     * The exchanges of one HTTP/2 connection's streams that need no channel of their own (a
     * request without a body, see {@code dev.portico.web.h2.Http2DirectStreams}): this object is
     * not a handler; {@link #bind} gives it the connection's context and {@link #serve} hands it
     * each request. Its exchanges report {@code HTTP/2.0}, write frames on their stream, and are
     * logged and measured as a child channel's are.
     */
    public static HttpConnection forDirectStreams(Supplier<HttpContext> contexts, byte[] connectionHeaders) {
        return new HttpConnection(contexts, true, true, connectionHeaders);
    }

    /** {@link #forDirectStreams(Supplier, byte[])} without header lines of its own. */
    public static HttpConnection forDirectStreams(Supplier<HttpContext> contexts) {
        return forDirectStreams(contexts, new byte[0]);
    }

    /**
     * For {@link #forDirectStreams}: the context of the handler on the HTTP/2 connection's
     * pipeline that serves the streams, which exchanges write their frames to.
     */
    public void bind(ChannelHandlerContext ctx) {
        if (!direct) {
            throw new IllegalStateException("only for direct streams");
        }
        this.ctx = ctx;
        Http2Heads heads = ctx.channel().attr(Http2Heads.KEY).get();
        this.http2Heads = heads != null ? heads : new Http2Heads();
    }

    /**
     * For {@link #forDirectStreams}: a socket read of the connection starts; the answers made
     * until {@link #readComplete} are left for the flush that ends the read (the HTTP/2 codec's).
     */
    public void readStarted() {
        inRead = true;
    }

    /** For {@link #forDirectStreams}: the read has ended; answers completed from now on are flushed at once. */
    public void readComplete() {
        inRead = false;
    }

    /**
     * For {@link #forDirectStreams}: answers one request that arrived whole (HEADERS ending the
     * stream) on {@code stream}, with the checks and the handler an HTTP/1.1 request gets.
     */
    public void serve(HttpRequest request, Http2FrameStream stream) {
        context = contexts.get();
        Exchange ex = new Exchange(ctx, request, this, System.nanoTime(), stream);
        // The request's end arrived with it, but as on a child channel, where it follows the
        // request, the body counts as complete only once the handler has returned.
        bodyComplete = false;
        try {
            int refused = refusal(request);
            if (refused != 0) {
                bodyComplete = true;
                ex.errorAndClose(refused);
                return;
            }
            handle(ex);
        } finally {
            bodyComplete = true;
        }
        BodySink sink = ex.sink();
        if (sink != null) {
            try {
                sink.onEnd();
            } catch (Exception e) {
                log.error("body handler failed on {}", request.uri(), e);
                sink.onAbort();
                if (!ex.responded()) {
                    ex.errorAndClose(500);
                } else {
                    abort(ex);
                }
            }
        }
    }

    /** Ends {@code ex}'s response at once: closes the connection, or on a direct stream resets the stream. */
    void abort(Exchange ex) {
        Http2FrameStream s = ex.http2Stream();
        if (s == null) {
            ctx.close();
        } else {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL).stream(s));
        }
    }

    /** True on an HTTP/2 stream. */
    boolean stream() {
        return stream;
    }

    /** The heads an exchange on an HTTP/2 stream writes as HEADERS frames; null on HTTP/1.x. */
    Http2Heads http2Heads() {
        return http2Heads;
    }

    /**
     * A handler to place before the decoder: it sees raw bytes and starts the header timer, and
     * holds back reads from the socket while the decoder waits for this connection.
     */
    public ChannelDuplexHandler firstByteWatcher() {
        return new ChannelDuplexHandler() {
            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                inRead = true;
                if (phase == Phase.IDLE) {
                    enter(Phase.HEADERS);
                } else if (phase == Phase.BODY) {
                    phaseStart = System.nanoTime();
                }
                c.fireChannelRead(msg);
            }

            @Override
            public void read(ChannelHandlerContext c) {
                if (decoder == null || !decoder.held()) {
                    c.read();
                }
            }
        };
    }

    /**
     * True when the decoder should not start on another request: the connection closes, enough
     * requests wait already, or the answers written have not gone out.
     */
    boolean holdsInput() {
        return closing || queuedRequests >= context.options().maxPipelined() || !ctx.channel().isWritable();
    }

    // ---- what exchanges ask of their connection ----------------------------------------------

    HttpDates dates() {
        return context.dates();
    }

    ErrorPages errorPages() {
        return context.errorPages();
    }

    String allowedMethods() {
        return context.allowedMethods();
    }

    boolean bodyComplete() {
        return bodyComplete;
    }

    boolean closing() {
        return closing;
    }

    void cork(boolean on) {
        if (!stream && context.tcpCork() != null && ctx.channel().isActive()) {
            ctx.channel().config().setOption(context.tcpCork(), on);
        }
    }

    void responseComplete(Exchange exchange) {
        if (direct) {
            completed(exchange);
            if (!inRead && ctx.channel().isActive()) {
                ctx.flush();
            }
            return;
        }
        currentComplete = true;
        if (!exchange.keepAlive()) {
            closing = true;
        } else if (closing) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        completed(exchange);
        if (bodyComplete) {
            enter(Phase.IDLE);
        }
        drain();
    }

    private void completed(Exchange exchange) {
        try {
            context.listener().completed(exchange);
        } catch (RuntimeException e) {
            log.warn("exchange listener failed", e);
        }
    }

    /**
     * Leaves the pipeline after a 101 answer: the decoder and this handler are removed, bytes the
     * decoder still holds pass on to the next handler, and the connection stops being counted.
     */
    void detach() {
        decoder = null;
        ChannelPipeline p = ctx.pipeline();
        p.remove(this);
        for (var e : p) {
            if (e.getValue() instanceof HttpRequestDecoder) {
                p.remove(e.getValue());
                break;
            }
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
        if (counted) {
            context.connections().decrementAndGet();
            counted = false;
        }
        decoder = null;
        releaseQueued();
    }

    private void releaseQueued() {
        queued.forEach(ReferenceCountUtil::release);
        queued.clear();
        queuedRequests = 0;
    }

    /**
     * When this connection went idle between requests ({@link System#nanoTime()}), or
     * {@link Long#MAX_VALUE} while a request is in progress. Read from other threads without a
     * lock, so possibly stale: {@link #closeIfIdleSince} checks again on the loop.
     */
    long idleSince() {
        return phase == Phase.IDLE && currentComplete && !closing ? phaseStart : Long.MAX_VALUE;
    }

    /** Closes the connection if it is still idle since {@code since}. Call on its loop. */
    void closeIfIdleSince(long since) {
        if (phase == Phase.IDLE && currentComplete && queued.isEmpty() && !closing && phaseStart == since) {
            closing = true;
            ctx.close();
        }
    }

    // ---- channel events ------------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ChannelConfig config = ctx.channel().config();
        if (config.getWriteBufferWaterMark() == WriteBufferWaterMark.DEFAULT) {
            config.setWriteBufferWaterMark(WATER_MARK);
        }
        if (config.getMessageSizeEstimator() == DefaultMessageSizeEstimator.DEFAULT) {
            config.setMessageSizeEstimator(OutboundSizes.INSTANCE);
        }
        if (stream) {
            // A stream has no decoder: its requests come from the HTTP/2 bridge.
            http2Heads = Http2Heads.of(ctx.channel());
            return;
        }
        for (var e : ctx.pipeline()) {
            if (e.getValue() instanceof StrictRequestDecoder d) {
                decoder = d;
                d.waitFor(this);
                break;
            }
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (stream) {
            // A stream's request comes whole with its HEADERS frame, and the connection's watch
            // keeps the send and idle timeouts: a stream's own timer runs only while a body is read.
            enter(Phase.IDLE);
            ctx.fireChannelActive();
            return;
        }
        int open = context.connections().incrementAndGet();
        counted = true;
        if (open > context.options().maxConnections()) {
            closing = true;
            // The connection's own header lines (HSTS on TLS) go on this answer too.
            ctx.writeAndFlush(Unpooled.wrappedBuffer(BUSY_HEAD, connectionHeaders, BUSY_TAIL))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        enter(Phase.IDLE);
        arm();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            context.connections().decrementAndGet();
            counted = false;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        abortSink();
        releaseQueued();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!queued.isEmpty() || (msg instanceof HttpRequest && !currentComplete)) {
            queued.add(msg);
            if (msg instanceof HttpRequest) {
                queuedRequests++;
            }
            ctx.channel().config().setAutoRead(false);
            return;
        }
        process(msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            drain();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DRAIN) {
            closing = true;
            if (currentComplete && (phase == Phase.IDLE || phase == Phase.HEADERS)) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inRead = false;
        ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        abortSink();
        ctx.close();
    }

    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            for (;;) {
                // Requests wait while the socket has not taken the answers before them; the rest
                // of a request already answered goes on, so that its connection turns idle (and
                // its idle timeout runs) even while the client does not read.
                while (!queued.isEmpty() && currentComplete && !closing
                        && (ctx.channel().isWritable() || !(queued.peek() instanceof HttpRequest))) {
                    Object next = queued.poll();
                    if (next instanceof HttpRequest) {
                        queuedRequests--;
                    }
                    process(next);
                }
                if (closing) {
                    releaseQueued();
                    break;
                }
                // The decoder decodes what it held back; that is processed or queued meanwhile.
                if (decoder == null || !decoder.held() || holdsInput() || !ctx.channel().isActive()
                        || !decoder.resume()) {
                    break;
                }
            }
            if (queued.isEmpty() && (decoder == null || !decoder.held()) && ctx.channel().isActive()
                    && !ctx.channel().config().isAutoRead()) {
                ctx.channel().config().setAutoRead(true);
                ctx.read();
            }
        } finally {
            draining = false;
        }
        // Inside a read the flush waits for channelReadComplete, so the answers to every request
        // of one read (pipelined ones included) leave in one write; an answer completed later
        // (a file read off the loop, a proxied response) is flushed here.
        if (!inRead && ctx.channel().isActive()) {
            ctx.flush();
        }
    }

    private void process(Object msg) {
        try {
            if (msg instanceof HttpRequest request) {
                onRequest(request);
                if (request.decoderResult().isFailure()) {
                    return;
                }
            }
            if (msg instanceof HttpContent content) {
                onContent(content);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(HttpRequest request) {
        context = contexts.get();
        Exchange ex = new Exchange(ctx, request, this, System.nanoTime());
        current = ex;
        currentComplete = false;
        bodyComplete = false;
        bodyBytes = 0;
        int refused = refusal(request);
        if (refused != 0) {
            bodyComplete = true;
            ex.errorAndClose(refused);
            return;
        }
        long length = HttpUtil.getContentLength(request, -1L);
        enter(HttpUtil.isTransferEncodingChunked(request) || length > 0 ? Phase.BODY : Phase.RESPONDING);
        if (stream && timer == null && phase == Phase.BODY) {
            arm();
        }
        handle(ex);
    }

    /** The error status a request gets before any handler sees it, or 0 when it is acceptable. */
    private int refusal(HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            Throwable cause = result.cause();
            log.debug("bad request from {}: {}", ctx.channel().remoteAddress(), cause.toString());
            return cause instanceof TooLongHttpLineException ? 414
                    : cause instanceof TooLongHttpHeaderException ? 431
                    : cause instanceof TooLongFrameException ? 431 : 400;
        }
        if (request.protocolVersion().majorVersion() != 1 || request.protocolVersion().minorVersion() > 1) {
            return 505;
        }
        if (request.headers().size() > context.options().maxHeaders()) {
            return 431;
        }
        if (!hostAcceptable(request)) {
            log.debug("bad Host from {}: {}", ctx.channel().remoteAddress(), request.headers().getAll(HttpHeaderNames.HOST));
            return 400;
        }
        if (HttpUtil.getContentLength(request, -1L) > context.options().maxBodySize()) {
            return 413;
        }
        return 0;
    }

    /** Runs the service's handler on {@code ex}: 404 when none answers, 500 when it fails. */
    private void handle(Exchange ex) {
        HttpRequest request = ex.request();
        try {
            if (!context.handler().handle(ex) && !ex.responded()) {
                ex.error(404);
            }
        } catch (Exception e) {
            log.error("handler failed on {} {}", request.method(), request.uri(), e);
            if (!ex.responded()) {
                ex.errorAndClose(500);
            } else {
                abort(ex);
            }
        }
    }

    /** One well-formed Host field (RFC 9112 §3.2); HTTP/1.0 may leave it out. */
    private static boolean hostAcceptable(HttpRequest request) {
        Iterator<? extends CharSequence> hosts = request.headers().valueCharSequenceIterator(HttpHeaderNames.HOST);
        if (!hosts.hasNext()) {
            return request.protocolVersion().minorVersion() == 0;
        }
        CharSequence host = hosts.next();
        return !hosts.hasNext() && HostField.valid(host);
    }

    private void onContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            log.debug("bad body from {}: {}", ctx.channel().remoteAddress(), content.decoderResult().cause().toString());
            abortSink();
            bodyComplete = true;
            if (current != null && !current.responded()) {
                current.errorAndClose(400);
            } else {
                closing = true;
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        ByteBuf data = content.content();
        bodyBytes += data.readableBytes();
        boolean last = content instanceof LastHttpContent;
        if (bodyBytes > context.options().maxBodySize()) {
            abortSink();
            bodyComplete = true;
            if (current != null && !current.responded()) {
                current.errorAndClose(413);
            } else {
                closing = true;
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        Exchange ex = current;
        BodySink sink = ex == null ? null : ex.sink();
        if (last) {
            bodyComplete = true;
            if (currentComplete) {
                enter(Phase.IDLE);
            } else if (phase == Phase.BODY) {
                enter(Phase.RESPONDING);
            }
        }
        if (sink == null) {
            return;
        }
        try {
            if (data.isReadable()) {
                sink.onData(data);
            }
            if (last) {
                sink.onEnd();
            }
        } catch (Exception e) {
            log.error("body handler failed on {}", ex.request().uri(), e);
            sink.onAbort();
            if (!ex.responded()) {
                ex.errorAndClose(500);
            } else {
                ctx.close();
            }
        }
    }

    private void abortSink() {
        if (current != null && current.sink() != null && !bodyComplete) {
            try {
                current.sink().onAbort();
            } catch (RuntimeException e) {
                log.warn("body abort failed", e);
            }
        }
    }

    // ---- timeouts ------------------------------------------------------------------------------

    private void enter(Phase p) {
        phase = p;
        phaseStart = System.nanoTime();
    }

    private long limitNanos(Phase p) {
        HttpOptions o = context.options();
        return switch (p) {
            case IDLE -> o.idleTimeout().toNanos();
            case HEADERS -> o.headerTimeout().toNanos();
            case BODY -> o.bodyTimeout().toNanos();
            case RESPONDING -> Long.MAX_VALUE;
        };
    }

    /** Checks the deadlines every half of the shortest timeout, so phase changes cost nothing. */
    private void arm() {
        HttpOptions o = context.options();
        long shortest = Math.min(Math.min(o.idleTimeout().toNanos(), o.sendTimeout().toNanos()),
                Math.min(o.headerTimeout().toNanos(), o.bodyTimeout().toNanos()));
        long tick = Math.max(shortest / 2, TimeUnit.MILLISECONDS.toNanos(10));
        timer = ctx.executor().schedule(this::checkTimeout, tick, TimeUnit.NANOSECONDS);
    }

    /**
     * A number that changes whenever bytes waiting in the outbound buffer reach the socket (or
     * more are written), for a buffer holding flushed bytes.
     */
    private static long sendProgress(ChannelOutboundBuffer out) {
        Object current = out.current();
        long inCurrent = current instanceof FileRegion r ? r.transferred()
                : current instanceof ByteBuf b ? b.readerIndex() : 0;
        return out.totalPendingWriteBytes() - inCurrent;
    }

    private void checkTimeout() {
        if (!ctx.channel().isActive()) {
            return;
        }
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        if (out != null && !out.isEmpty()) {
            // Answers wait for the socket: the send timeout runs from the last time bytes left,
            // and the idle one waits until they are all out.
            long now = System.nanoTime();
            long progress = sendProgress(out);
            if (!sending || progress != lastSendProgress) {
                sending = true;
                lastSendProgress = progress;
                lastSendAt = now;
            } else if (now - lastSendAt >= context.options().sendTimeout().toNanos()) {
                sendTimedOut();
                return;
            }
            if (phase == Phase.IDLE) {
                phaseStart = now;
            }
        } else {
            sending = false;
            if (phase == Phase.IDLE) {
                // The answer is out: an idle keep-alive connection keeps nothing of its last
                // exchange (the request, its headers), which the send timeout's message named.
                current = null;
            }
        }
        long limit = limitNanos(phase);
        if (limit != Long.MAX_VALUE && System.nanoTime() - phaseStart >= limit) {
            switch (phase) {
                case IDLE -> ctx.close();
                case HEADERS, BODY -> {
                    log.debug("{} timed out in {}", ctx.channel().remoteAddress(), phase);
                    abortSink();
                    closing = true;
                    ByteBuf body = Unpooled.wrappedBuffer(context.errorPages().body(408));
                    ByteBuf head = Unpooled.copiedBuffer("HTTP/1.1 408 Request Timeout\r\nContent-Type: text/html\r\n"
                            + "Content-Length: " + body.readableBytes() + "\r\nConnection: close\r\n\r\n", StandardCharsets.US_ASCII);
                    ctx.write(head);
                    ctx.writeAndFlush(body).addListener(ChannelFutureListener.CLOSE);
                    // The 408 may wait for a client that reads nothing: the send timeout still runs.
                    enter(Phase.RESPONDING);
                    arm();
                }
                case RESPONDING -> { }
            }
            return;
        }
        arm();
    }

    private void sendTimedOut() {
        HttpRequest request = current == null ? null : current.request();
        log.info("{} took none of the answer to {} {} for {}: closed (timeouts.send)", ctx.channel().remoteAddress(),
                request == null ? "-" : request.method(), request == null ? "-" : request.uri(),
                Durations.format(context.options().sendTimeout()));
        closing = true;
        ctx.close();
    }
}
