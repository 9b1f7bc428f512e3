package dev.portico.lb;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Put in front of a connection from a trusted proxy: reads until the PROXY header is complete
 * (the channel has auto-read off, so it asks for each read), then removes itself and fires a
 * {@link Proxied} event with the real addresses and any bytes that came after the header. A
 * malformed header, or none within the timeout, closes the connection and is counted.
 */
final class ProxyHeaderDecoder extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ProxyHeaderDecoder.class);

    /**
     * The event fired once the header is read.
     *
     * @param header what the header said
     * @param rest   bytes received after the header (owned by the receiver), or null
     */
    record Proxied(ProxyHeaderParser.Result header, ByteBuf rest) {
    }

    private final String service;
    private final LbMetrics metrics;
    private final Duration timeout;
    private ByteBuf cumulation;
    private ScheduledFuture<?> timer;
    private boolean done;

    ProxyHeaderDecoder(String service, LbMetrics metrics, Duration timeout) {
        this.service = service;
        this.metrics = metrics;
        this.timeout = timeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> reject(ctx, "no complete PROXY header within " + timeout),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (cumulation == null) {
            cumulation = buf;
        } else {
            ByteBuf merged = ctx.alloc().buffer(cumulation.readableBytes() + buf.readableBytes());
            merged.writeBytes(cumulation).writeBytes(buf);
            cumulation.release();
            buf.release();
            cumulation = merged;
        }
        ProxyHeaderParser.Result result;
        try {
            result = ProxyHeaderParser.parse(cumulation);
        } catch (ProxyHeaderParser.MalformedException e) {
            reject(ctx, e.getMessage());
            return;
        }
        if (result == null) {
            return;
        }
        done = true;
        timer.cancel(false);
        ByteBuf rest = cumulation.isReadable() ? cumulation : null;
        if (rest == null) {
            cumulation.release();
        }
        cumulation = null;
        ctx.pipeline().remove(this);
        ctx.fireUserEventTriggered(new Proxied(result, rest));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!done && ctx.channel().isActive()) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    private void reject(ChannelHandlerContext ctx, String why) {
        if (done) {
            return;
        }
        done = true;
        metrics.proxyHeaderRejected();
        log.debug("{}: closing {} from a trusted proxy: {}", service, ctx.channel().remoteAddress(), why);
        release();
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
        release();
    }

    private void release() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
