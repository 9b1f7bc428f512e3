package dev.portico.proxy;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Fires {@link IdleStateEvent#ALL_IDLE_STATE_EVENT} when a connection has neither read nor written
 * for the timeout, as Netty's {@code IdleStateHandler} with only an all-idle time does, but more
 * cheaply: reads and writes just note the time (no listener on every write promise), and the one
 * timer task per connection is re-armed only when it fires early.
 */
final class IdleWatch extends ChannelDuplexHandler implements Runnable {

    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    private long last;
    private ScheduledFuture<?> task;

    /** @param timeoutNanos how long without traffic is idle */
    IdleWatch(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start();
        super.channelActive(ctx);
    }

    private void start() {
        if (task == null && timeoutNanos > 0) {
            last = System.nanoTime();
            task = ctx.executor().schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        last = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        last = System.nanoTime();
        ctx.write(msg, promise);
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
        ScheduledFuture<?> t = task;
        task = null;
        if (t != null) {
            t.cancel(false);
        }
    }

    @Override
    public void run() {
        if (task == null || !ctx.channel().isOpen()) {
            return;
        }
        long quiet = System.nanoTime() - last;
        if (quiet >= timeoutNanos) {
            task = ctx.executor().schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
            ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        } else {
            task = ctx.executor().schedule(this, timeoutNanos - quiet, TimeUnit.NANOSECONDS);
        }
    }
}
