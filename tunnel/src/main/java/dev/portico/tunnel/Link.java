package dev.portico.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicDatagramExtensionEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One QUIC connection's state as a tunnel: its tunnel once the session is up (null before), and
 * the handlers that feed that tunnel: {@link Connection} on the connection (DATAGRAM frames and
 * events), {@link Frames} on the stream after the handshake.
 */
final class Link {

    private static final Logger log = LoggerFactory.getLogger(Link.class);

    /** Application error codes in CONNECTION_CLOSE. */
    static final int CLOSE_NORMAL = 0;
    static final int CLOSE_REFUSED = 0x100;
    static final int CLOSE_TRANSPORT_MISMATCH = 0x101;
    static final int CLOSE_DEVICE = 0x102;
    static final int CLOSE_REPLACED = 0x103;
    static final int CLOSE_PROTOCOL = 0x104;

    private final String label;
    private final SessionMetrics[] metrics = new SessionMetrics[1];
    private volatile Tunnel tunnel;
    private volatile FrameSink inbound;
    private volatile RelayEnd relay;
    private volatile int datagramMax = -1;
    private volatile Runnable onAuthenticated;

    /** @param label what log lines about this connection start with */
    Link(String label) {
        this.label = label;
    }

    /** Runs once, when the peer has proved its session's token (or never, when it closes first). */
    void onAuthenticated(Runnable r) {
        onAuthenticated = r;
    }

    /** The peer proved its token. */
    void authenticated() {
        Runnable r = onAuthenticated;
        onAuthenticated = null;
        if (r != null) {
            r.run();
        }
    }

    void metrics(SessionMetrics m) {
        metrics[0] = m;
    }

    void tunnel(Tunnel t) {
        tunnel = t;
        inbound = t.inbound();
        if (datagramMax >= 0) {
            t.peerDatagramLimit(datagramMax);
        }
    }

    void relay(RelayEnd r) {
        relay = r;
        inbound = r;
        if (datagramMax >= 0) {
            r.peerDatagramLimit(datagramMax);
        }
    }

    Tunnel tunnel() {
        return tunnel;
    }

    /** Sends frames to {@code in} (tests; a tunnel sets its own). */
    void inbound(Inbound in) {
        inbound = in;
    }

    /** Closes a connection with an application error and a reason the peer logs. */
    static void close(QuicChannel ch, int code, String reason) {
        if (ch.isActive()) {
            ch.close(true, code, ch.alloc().buffer().writeBytes(reason.getBytes(StandardCharsets.UTF_8)));
        }
    }

    private void deliver(int flags, ByteBuf buf, int index, int length) {
        FrameSink in = inbound;
        if (in != null) {
            in.deliver(flags, buf, index, length);
        } else if (metrics[0] != null) {
            metrics[0].drop(SessionMetrics.Drop.DEVICE);
        }
    }

    /** On the connection: DATAGRAM frames, the peer's DATAGRAM limit, and the close reason. */
    final class Connection extends ChannelInboundHandlerAdapter {

        private final boolean client;

        Connection(boolean client) {
            this.client = client;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf)) {
                ctx.fireChannelRead(msg); // a stream the peer opened: the codec's acceptor takes it
                return;
            }
            try {
                if (buf.readableBytes() < FrameCodec.DATAGRAM_HEADER) {
                    if (metrics[0] != null) {
                        metrics[0].drop(SessionMetrics.Drop.MALFORMED);
                    }
                    return;
                }
                int index = buf.readerIndex();
                deliver(buf.getUnsignedByte(index), buf, index + 1, buf.readableBytes() - 1);
            } finally {
                buf.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            Tunnel t = tunnel;
            if (t != null) {
                t.readComplete();
            }
            ctx.fireChannelReadComplete();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof QuicDatagramExtensionEvent d) {
                datagramMax = d.maxLength();
                Tunnel t = tunnel;
                if (t != null) {
                    t.peerDatagramLimit(d.maxLength());
                }
                RelayEnd r = relay;
                if (r != null) {
                    r.peerDatagramLimit(d.maxLength());
                }
            } else if (evt instanceof QuicConnectionCloseEvent c && client) {
                String reason = new String(c.reason(), StandardCharsets.UTF_8);
                if (c.isApplicationClose() && c.error() != CLOSE_NORMAL) {
                    log.warn("{}: the server closed the connection: {}", label, reason.isEmpty() ? "error " + c.error() : reason);
                } else if (c.isTlsError()) {
                    log.warn("{}: the server refused the TLS handshake ({})", label, c);
                } else {
                    log.info("{}: the server closed the connection{}", label, reason.isEmpty() ? "" : ": " + reason);
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("{}: {}", label, cause.toString());
        }
    }

    /** On the stream after the handshake: {@code [u16 length][u8 flags][packet]} frames. */
    final class Frames extends ByteToMessageDecoder {

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            while (in.readableBytes() >= FrameCodec.STREAM_HEADER) {
                int index = in.readerIndex();
                int length = in.getUnsignedShort(index);
                if (in.readableBytes() < FrameCodec.STREAM_HEADER + length) {
                    return;
                }
                deliver(in.getUnsignedByte(index + 2), in, index + FrameCodec.STREAM_HEADER, length);
                in.skipBytes(FrameCodec.STREAM_HEADER + length);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            super.channelReadComplete(ctx);
            Tunnel t = tunnel;
            if (t != null) {
                t.readComplete();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            Tunnel t = tunnel;
            if (t != null) {
                t.writabilityChanged();
            }
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            // the stream is the session: without it the connection has nothing left to do
            if (ctx.channel().parent() instanceof QuicChannel q) {
                close(q, CLOSE_NORMAL, "stream closed");
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("{}: {}", label, cause.toString());
            if (ctx.channel().parent() instanceof QuicChannel q) {
                close(q, CLOSE_PROTOCOL, "stream error");
            }
        }
    }
}
