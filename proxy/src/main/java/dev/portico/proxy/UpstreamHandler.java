package dev.portico.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

import javax.net.ssl.SSLException;

/**
 * The last handler of an upstream connection. While an exchange owns the connection, it passes
 * responses, closes, errors and idle events to it; while the connection idles in the keep-alive
 * pool, anything the backend sends is unexpected and closes it.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {

    /** What the owning exchange is told. */
    interface Owner {
        void onUpstreamMessage(Object msg);

        void onUpstreamClosed();

        void onUpstreamError(Throwable cause);

        void onUpstreamIdle();
    }

    private final UpstreamResponseDecoder decoder;
    private Owner owner;

    UpstreamHandler(UpstreamResponseDecoder decoder) {
        this.decoder = decoder;
    }

    /** The connection's response decoder. */
    UpstreamResponseDecoder decoder() {
        return decoder;
    }

    void owner(Owner value) {
        this.owner = value;
    }

    Owner owner() {
        return owner;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (owner != null) {
            owner.onUpstreamMessage(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Owner o = owner;
        owner = null;
        if (o != null) {
            o.onUpstreamClosed();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Owner o = owner;
        owner = null;
        if (o != null) {
            // The TLS layer's failures (an alert from the backend) come wrapped by its decoder.
            o.onUpstreamError(cause instanceof DecoderException && cause.getCause() instanceof SSLException
                    ? cause.getCause() : cause);
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (owner != null) {
                owner.onUpstreamIdle();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }
}
