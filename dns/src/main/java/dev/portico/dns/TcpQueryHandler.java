package dev.portico.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Answers the length-prefixed queries of a TCP connection. Queries are answered one after the
 * other as they are decoded, so pipelined queries get their answers in order; an idle connection
 * is closed. A frame that cannot be answered at all closes the connection.
 */
@ChannelHandler.Sharable
final class TcpQueryHandler extends ChannelInboundHandlerAdapter {

    private final QueryProcessor processor;

    TcpQueryHandler(QueryProcessor processor) {
        this.processor = processor;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf query = (ByteBuf) msg;
        try {
            ByteBuf reply = processor.process(query, false, remoteAddress(ctx), ctx.alloc());
            if (reply != null) {
                ctx.write(reply, ctx.voidPromise());
            } else {
                ctx.flush();
                ctx.close();
            }
        } finally {
            query.release();
        }
    }

    private static InetAddress remoteAddress(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
