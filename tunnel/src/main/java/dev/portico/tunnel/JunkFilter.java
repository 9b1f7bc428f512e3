package dev.portico.tunnel;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.LongAdder;

/**
 * In front of a tunnel server's QUIC codec: drops datagrams that cannot be QUIC packets for this
 * server (a short header too short to hold its 20-byte connection id, a packet tag and a byte),
 * which the dispatcher would otherwise turn into an exception and a warning for each one; and,
 * at the end of the pipeline, takes whatever the codec still throws on hostile input, logged at
 * debug only. Counts both.
 */
@ChannelHandler.Sharable
final class JunkFilter extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(JunkFilter.class);
    /** First byte, the connection id, a one-byte packet number and the AEAD tag. */
    static final int MIN_SHORT_HEADER = 1 + 20 + 1 + 16;
    /** First byte, version, two id lengths. */
    static final int MIN_LONG_HEADER = 7;

    private final LongAdder dropped = new LongAdder();

    /** Datagrams dropped and errors taken. */
    long dropped() {
        return dropped.sum();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket p) {
            int n = p.content().readableBytes();
            boolean longHeader = n > 0 && (p.content().getByte(p.content().readerIndex()) & 0x80) != 0;
            if (n < (longHeader ? MIN_LONG_HEADER : MIN_SHORT_HEADER)) {
                dropped.increment();
                p.release();
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** The handler for the end of the pipeline. */
    ChannelHandler tail() {
        return new Tail();
    }

    @ChannelHandler.Sharable
    private final class Tail extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            dropped.increment();
            log.debug("a datagram the QUIC codec refused: {}", cause.toString());
        }
    }
}
