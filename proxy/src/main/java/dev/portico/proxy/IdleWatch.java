package dev.portico.proxy;

import dev.portico.core.transport.IdleTimer;
import dev.portico.upstream.Backend;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Fires {@link IdleStateEvent#ALL_IDLE_STATE_EVENT} each time a connection has neither read nor
 * written for the timeout, as Netty's {@code IdleStateHandler} with only an all-idle time does,
 * but through core's {@link IdleTimer}: reads and writes just note the time (no listener on every
 * write promise), and the one task per connection is re-armed only when it wakes early. Being
 * first in an upstream connection's pipeline, it also counts the bytes read from and written to
 * the backend into the backend's stats: once per read batch and once per flush, so that they move
 * while a long response streams; what is left is counted when the connection closes.
 */
final class IdleWatch extends ChannelDuplexHandler {

    private final long timeoutNanos;
    private final Backend backend;
    private IdleTimer timer;
    private long bytesIn;
    private long bytesOut;

    /**
     * @param timeoutNanos how long without traffic is idle; 0 or less never fires
     * @param backend      whose stats count the bytes as they flow
     */
    IdleWatch(long timeoutNanos, Backend backend) {
        this.timeoutNanos = timeoutNanos;
        this.backend = backend;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start(ctx);
        super.channelActive(ctx);
    }

    private void start(ChannelHandlerContext ctx) {
        if (timer == null && timeoutNanos > 0) {
            timer = new IdleTimer(ctx.channel(), timeoutNanos, () -> {
                timer.start();
                ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
            });
            timer.start();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (timer != null) {
            timer.touch();
        }
        if (msg instanceof ByteBuf b) {
            bytesIn += b.readableBytes();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (timer != null) {
            timer.touch();
        }
        if (msg instanceof ByteBuf b) {
            bytesOut += b.readableBytes();
        } else if (msg instanceof FileRegion r) {
            bytesOut += r.count();
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (bytesIn != 0) {
            backend.onTransferred(bytesIn, 0);
            bytesIn = 0;
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) throws Exception {
        if (bytesOut != 0) {
            backend.onTransferred(0, bytesOut);
            bytesOut = 0;
        }
        ctx.flush();
    }

    /** Bytes read from the peer and not yet counted in the backend's stats. Call on the channel's event loop. */
    long bytesIn() {
        return bytesIn;
    }

    /** Bytes handed to the transport for the peer and not yet counted in the backend's stats. Call on the channel's event loop. */
    long bytesOut() {
        return bytesOut;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    private void stop() {
        if (timer != null) {
            timer.cancel();
        }
    }
}
