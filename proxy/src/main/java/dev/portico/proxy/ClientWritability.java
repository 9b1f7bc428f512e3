package dev.portico.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Holds back a whole answer written in one piece (a cache hit) while the client connection cannot
 * take more, and writes it once the connection drains. The next pipelined request starts only
 * when this answer is written, so a client that sends many requests and reads nothing makes the
 * proxy hold about one answer beyond the connection's write buffer, not every answer. Sits at the
 * front of a client pipeline; used on its event loop only.
 */
final class ClientWritability extends ChannelInboundHandlerAdapter {

    /** The answer waiting for the connection to drain, or null. */
    private Runnable waiting;

    /**
     * Runs {@code answer} now when {@code client} can take more (or has no such handler), else
     * once it can; it is dropped if the connection closes first.
     */
    static void whenWritable(Channel client, Runnable answer) {
        ClientWritability w;
        if (client.isWritable() || (w = client.pipeline().get(ClientWritability.class)) == null) {
            answer.run();
            return;
        }
        Runnable before = w.waiting;
        w.waiting = before == null ? answer : () -> {
            before.run();
            answer.run();
        };
        // What is buffered must leave for the connection to drain.
        client.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Runnable answer = waiting;
        if (answer != null && ctx.channel().isWritable()) {
            waiting = null;
            answer.run();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        waiting = null;
        ctx.fireChannelInactive();
    }
}
