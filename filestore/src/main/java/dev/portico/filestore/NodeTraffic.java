package dev.portico.filestore;

import dev.portico.core.transport.IdleTimer;
import dev.portico.upstream.Backend;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * The bytes of one node connection, first in its pipeline: counted per read batch and per flush
 * into the node's {@link Backend} stats, and the connection's close reported so that its open
 * count falls again. It also watches the connection's idleness: after the idle timeout with
 * neither a read nor a write it fires {@link IdleStateEvent#ALL_IDLE_STATE_EVENT}, through core's
 * {@link IdleTimer} (a timestamp per event, no listener on every write as Netty's
 * {@code IdleStateHandler} adds). Runs on the connection's event loop only.
 */
final class NodeTraffic extends ChannelDuplexHandler {

    private final Backend backend;
    private final long idleNanos;
    private IdleTimer timer;
    private long in;
    private long out;
    private boolean closed;

    /** @param idleNanos how long without traffic is idle; 0 or less never fires */
    NodeTraffic(Backend backend, long idleNanos) {
        this.backend = backend;
        this.idleNanos = idleNanos;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (timer == null && idleNanos > 0) {
            timer = new IdleTimer(ctx.channel(), idleNanos, () -> {
                timer.start();
                ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
            });
            timer.start();
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (timer != null) {
            timer.touch();
        }
        if (msg instanceof ByteBuf b) {
            in += b.readableBytes();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        report();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (timer != null) {
            timer.touch();
        }
        if (msg instanceof ByteBuf b) {
            out += b.readableBytes();
        }
        ctx.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        report();
        ctx.flush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel();
        }
        if (!closed) {
            closed = true;
            backend.onClosed(in, out);
            in = 0;
            out = 0;
        }
        ctx.fireChannelInactive();
    }

    private void report() {
        if (in != 0 || out != 0) {
            backend.onTransferred(in, out);
            in = 0;
            out = 0;
        }
    }
}
