package dev.portico.web.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.FileRegion;
import io.netty.channel.MessageSizeEstimator;

/**
 * Netty's message sizes for a channel's writability, except that a file region counts for the
 * bytes it will send (Netty counts it as nothing): a connection whose client does not read then
 * stops taking requests after one large file, as it does after one large buffer.
 */
final class OutboundSizes implements MessageSizeEstimator, MessageSizeEstimator.Handle {

    /** Stateless, shared by every connection. */
    static final OutboundSizes INSTANCE = new OutboundSizes();

    private OutboundSizes() {
    }

    @Override
    public Handle newHandle() {
        return this;
    }

    @Override
    public int size(Object msg) {
        if (msg instanceof ByteBuf b) {
            return b.readableBytes();
        }
        if (msg instanceof ByteBufHolder h) {
            return h.content().readableBytes();
        }
        if (msg instanceof FileRegion r) {
            return (int) Math.min(Integer.MAX_VALUE, r.count() - r.transferred());
        }
        return 8;
    }
}
