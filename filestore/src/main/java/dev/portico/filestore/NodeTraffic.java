package dev.portico.filestore;

import dev.portico.upstream.Backend;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * The bytes of one node connection, first in its pipeline: counted per read batch and per flush
 * into the node's {@link Backend} stats, and the connection's close reported so that its open
 * count falls again. Runs on the connection's event loop only.
 */
final class NodeTraffic extends ChannelDuplexHandler {

    private final Backend backend;
    private long in;
    private long out;
    private boolean closed;

    NodeTraffic(Backend backend) {
        this.backend = backend;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
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
