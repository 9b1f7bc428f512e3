package dev.portico.web.h2;

import dev.portico.core.config.Durations;
import dev.portico.web.http.HttpConnection;
import dev.portico.web.http.HttpContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * What an HTTP/1.1 connection's {@code HttpConnection} does for the connection as a whole, for
 * an HTTP/2 connection: it counts it as one open connection of its service, closes it
 * (GOAWAY, then the streams in flight finish) after {@code timeouts.idle} without open streams,
 * after {@code timeouts.send} when its streams wait for flow-control window while the client sends
 * nothing, and when the service drains. Sits before the codec, so it sees every read. One task
 * per connection, waking every half of the shorter timeout.
 */
final class Http2ConnectionWatch extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(Http2ConnectionWatch.class);

    /** The last handler of an HTTP/2 connection: errors the codec has answered end here quietly. */
    static final ChannelHandler QUIET_END = new QuietEnd();

    private final HttpContext context;
    private ChannelHandlerContext ctx;
    /** The codec's connection, looked up at the first read (the codec comes after this handler). */
    private volatile Http2Connection connection;
    private boolean counted;
    private volatile long lastRead = System.nanoTime();
    /** Since when no stream is open, as of the last check; {@link Long#MAX_VALUE} while streams are. */
    private volatile long idleSince = System.nanoTime();
    private ScheduledFuture<?> timer;

    Http2ConnectionWatch(HttpContext context) {
        this.context = context;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (counted) {
            return;
        }
        counted = true;
        context.connections().incrementAndGet();
        arm();
    }

    private void stop() {
        if (counted) {
            counted = false;
            context.connections().decrementAndGet();
        }
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastRead = System.nanoTime();
        if (connection == null) {
            Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
            connection = codec == null ? null : codec.connection();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == HttpConnection.DRAIN) {
            // Through the codec: GOAWAY, and the streams in flight end before the close.
            ctx.channel().close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void arm() {
        long shortest = Math.min(context.options().idleTimeout().toNanos(), context.options().sendTimeout().toNanos());
        long tick = Math.max(shortest / 2, TimeUnit.MILLISECONDS.toNanos(10));
        timer = ctx.executor().schedule(this::check, tick, TimeUnit.NANOSECONDS);
    }

    private void check() {
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (streamsOpen()) {
            idleSince = Long.MAX_VALUE;
            if (now - lastRead >= context.options().sendTimeout().toNanos() && waitsForWindow()) {
                log.info("{} granted no window and sent nothing for {}: closed (timeouts.send)",
                        ctx.channel().remoteAddress(), Durations.format(context.options().sendTimeout()));
                ctx.close();
                return;
            }
        } else {
            if (idleSince == Long.MAX_VALUE) {
                idleSince = now;
            }
            if (now - idle() >= context.options().idleTimeout().toNanos()) {
                ctx.channel().close();
                return;
            }
        }
        arm();
    }

    private long idle() {
        long since = idleSince;
        return since == Long.MAX_VALUE ? lastRead : Math.max(since, lastRead);
    }

    private boolean streamsOpen() {
        Http2Connection c = connection;
        return c != null && c.numActiveStreams() > 0;
    }

    /**
     * Since when this connection has had no open stream and read nothing ({@link System#nanoTime()}),
     * or {@link Long#MAX_VALUE} while a stream is open. Read from other threads without a lock,
     * so possibly stale: {@link #closeIfIdleSince} checks again on the loop.
     */
    long idleSince() {
        return streamsOpen() ? Long.MAX_VALUE : idle();
    }

    /** Closes the connection (GOAWAY first) if it has stayed idle since {@code since}. Call on its loop. */
    void closeIfIdleSince(long since) {
        if (!streamsOpen() && idle() == since && ctx.channel().isActive()) {
            ctx.channel().close();
        }
    }

    /** True when an answer waits for the client to open its flow-control window. */
    private boolean waitsForWindow() {
        Http2RemoteFlowController flow = connection.remote().flowController();
        boolean[] waiting = {false};
        try {
            connection.forEachActiveStream((Http2Stream s) -> {
                if (flow.hasFlowControlled(s)) {
                    waiting[0] = true;
                    return false;
                }
                return true;
            });
        } catch (Http2Exception e) {
            return false;
        }
        return waiting[0];
    }

    @ChannelHandler.Sharable
    private static final class QuietEnd extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP/2 connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            // The codec answers its own errors (GOAWAY with their code, then the close); only
            // the others close here.
            if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) == null) {
                ctx.close();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
