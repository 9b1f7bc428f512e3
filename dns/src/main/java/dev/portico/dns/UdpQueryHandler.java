package dev.portico.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;

import java.util.function.Supplier;

/**
 * Answers each datagram on the socket it arrived on; replies are flushed once per read batch.
 * Each answer passes the service's response rate limit ({@link Rrl}) first. Shared by all UDP
 * sockets of a listener.
 */
@ChannelHandler.Sharable
final class UdpQueryHandler extends SimpleChannelInboundHandler<DatagramPacket> {

    private final QueryProcessor processor;
    private final Supplier<Rrl> rrl;

    /**
     * @param processor answers the queries
     * @param rrl       the rate limit answers pass before they are sent (read per answer; null when off)
     */
    UdpQueryHandler(QueryProcessor processor, Supplier<Rrl> rrl) {
        this.processor = processor;
        this.rrl = rrl;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        ByteBuf reply = processor.process(packet.content(), true, packet.sender().getAddress(), ctx.alloc());
        if (reply != null) {
            Rrl limit = rrl.get();
            if (limit != null) {
                byte[] source = packet.sender().getAddress().getAddress();
                if (limit.check(source, source.length, reply) == Rrl.Action.DROP) {
                    reply.release();
                    return;
                }
            }
            ctx.write(new DatagramPacket(reply, packet.sender()), ctx.voidPromise());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A UDP socket error (an ICMP unreachable reported back, say) concerns one client only.
    }
}
