package dev.portico.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The session handshake on the connection's first stream, after TLS:
 *
 * <ol>
 *   <li>client: {@code "PTUN" [u8 version=1] [u8 transport] [u8 n] [session name, n bytes]}</li>
 *   <li>server: {@code [u8 version=1] [32-byte nonce] [u8 n] [client address as the server sees it]}</li>
 *   <li>client: {@code [32-byte HMAC-SHA256 proof]} ({@link TokenProof})</li>
 *   <li>server: {@code [u8 0]} once the session's device is up; frames follow.</li>
 * </ol>
 * The server answers an unknown session exactly like a known one and refuses only after the
 * proof, so the handshake does not tell which sessions exist. A refusal closes the connection
 * with an application error and a reason; the server logs the precise one.
 */
final class Handshake {

    private static final Logger log = LoggerFactory.getLogger(Handshake.class);
    static final byte[] MAGIC = {'P', 'T', 'U', 'N'};
    static final int VERSION = 1;
    static final int ACCEPT = 0;
    static final long TIMEOUT_SECONDS = 10;

    private Handshake() {
    }

    static int transportByte(SessionConfig.TransportMode m) {
        return m == SessionConfig.TransportMode.RELIABLE ? 0 : 1;
    }

    /** The address as both sides put it in the proof: {@code ip:port}, IPv6 in brackets. */
    static String addressText(InetSocketAddress a) {
        String ip = a.getAddress().getHostAddress();
        return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + a.getPort();
    }

    /** The server's side, one per stream. */
    static final class Server extends ByteToMessageDecoder {

        private final String service;
        private final Map<String, SessionConfig> sessions;
        private final SessionTable table;
        private final SecureRandom random;
        private final String unknownKey;
        private int state;
        private String name;
        private int transport;
        private byte[] nonce;
        private String address;
        private ScheduledFuture<?> timeout;

        Server(String service, Map<String, SessionConfig> sessions, SessionTable table, SecureRandom random) {
            this.service = service;
            this.sessions = sessions;
            this.table = table;
            this.random = random;
            byte[] k = new byte[32];
            random.nextBytes(k);
            this.unknownKey = java.util.HexFormat.of().formatHex(k);
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            timeout = ctx.executor().schedule(() -> refuse(ctx, Link.CLOSE_PROTOCOL, "no handshake within "
                    + TIMEOUT_SECONDS + "s", "handshake timed out"), TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

        @Override
        protected void handlerRemoved0(ChannelHandlerContext ctx) {
            if (timeout != null) {
                timeout.cancel(false);
            }
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            QuicChannel q = (QuicChannel) ctx.channel().parent();
            if (state == 0) {
                if (in.readableBytes() < MAGIC.length + 3) {
                    return;
                }
                int i = in.readerIndex();
                for (int k = 0; k < MAGIC.length; k++) {
                    if (in.getByte(i + k) != MAGIC[k]) {
                        refuse(ctx, Link.CLOSE_PROTOCOL, "not a tunnel client", "protocol error");
                        return;
                    }
                }
                if (in.getUnsignedByte(i + 4) != VERSION) {
                    refuse(ctx, Link.CLOSE_PROTOCOL, "protocol version " + in.getUnsignedByte(i + 4),
                            "protocol version " + VERSION + " only");
                    return;
                }
                transport = in.getUnsignedByte(i + 5);
                int n = in.getUnsignedByte(i + 6);
                if (n == 0 || n > SessionConfig.MAX_NAME_BYTES) {
                    refuse(ctx, Link.CLOSE_PROTOCOL, "a session name of " + n + " bytes", "protocol error");
                    return;
                }
                if (in.readableBytes() < MAGIC.length + 3 + n) {
                    return;
                }
                name = in.toString(i + 7, n, StandardCharsets.US_ASCII);
                in.skipBytes(MAGIC.length + 3 + n);
                nonce = TokenProof.nonce(random);
                address = q.remoteSocketAddress() instanceof InetSocketAddress a ? addressText(a) : "?";
                byte[] addr = address.getBytes(StandardCharsets.US_ASCII);
                ByteBuf reply = ctx.alloc().buffer(2 + nonce.length + addr.length);
                reply.writeByte(VERSION).writeBytes(nonce).writeByte(addr.length).writeBytes(addr);
                ctx.writeAndFlush(reply);
                state = 1;
            }
            if (state == 1) {
                if (in.readableBytes() < TokenProof.PROOF_BYTES) {
                    return;
                }
                byte[] proof = new byte[TokenProof.PROOF_BYTES];
                in.readBytes(proof);
                state = 2;
                SessionConfig s = sessions.get(name);
                boolean ok = TokenProof.verify(s != null ? s.token() : unknownKey, name, nonce, address, proof);
                if (s == null) {
                    refuse(ctx, Link.CLOSE_REFUSED, "unknown session '" + printable(name) + "'", "refused");
                    return;
                }
                if (!ok) {
                    refuse(ctx, Link.CLOSE_REFUSED, "wrong token for session '" + name + "'", "refused");
                    return;
                }
                if (transport != transportByte(s.transport())) {
                    refuse(ctx, Link.CLOSE_TRANSPORT_MISMATCH, "session '" + name + "' is " + s.transport()
                            + " here but not on the client", "session '" + name + "' is " + s.transport()
                            + " on the server");
                    return;
                }
                if (timeout != null) {
                    timeout.cancel(false);
                }
                Link link = ctx.channel().parent().attr(TunnelServer.LINK).get();
                link.authenticated();
                link.metrics(table.metrics(name));
                ctx.pipeline().addAfter(ctx.name(), "frames", link.new Frames());
                QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
                table.bringUp(s, q, stream, link, () -> stream.writeAndFlush(stream.alloc().buffer(1).writeByte(ACCEPT)));
                ctx.pipeline().remove(this);
                return;
            }
            if (state == 2 && in.readableBytes() > 0) {
                in.skipBytes(in.readableBytes());
            }
        }

        private void refuse(ChannelHandlerContext ctx, int code, String why, String told) {
            state = 3;
            QuicChannel q = (QuicChannel) ctx.channel().parent();
            log.warn("tunnel '{}': refused {}: {}", service, q.remoteSocketAddress(), why);
            Link.close(q, code, told);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("tunnel '{}': handshake: {}", service, cause.toString());
            Link.close((QuicChannel) ctx.channel().parent(), Link.CLOSE_PROTOCOL, "protocol error");
        }
    }

    /** A session name from the wire, safe for a log line. */
    static String printable(String name) {
        StringBuilder b = new StringBuilder();
        for (char c : name.toCharArray()) {
            b.append(c >= 0x21 && c <= 0x7e && c != '\'' ? c : '?');
        }
        return b.toString();
    }

    /** The client's side, one per connection. */
    static final class Client extends ByteToMessageDecoder {

        private final SessionConfig session;
        private final SessionTable table;
        private final Link link;
        private final Runnable onAccepted;
        private int state;

        Client(SessionConfig session, SessionTable table, Link link, Runnable onAccepted) {
            this.session = session;
            this.table = table;
            this.link = link;
            this.onAccepted = onAccepted;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            sendHello(ctx);
            super.channelActive(ctx);
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive()) {
                sendHello(ctx);
            }
        }

        private void sendHello(ChannelHandlerContext ctx) {
            if (state != 0) {
                return;
            }
            state = 1;
            byte[] name = session.name().getBytes(StandardCharsets.US_ASCII);
            ByteBuf hello = ctx.alloc().buffer(MAGIC.length + 3 + name.length);
            hello.writeBytes(MAGIC).writeByte(VERSION).writeByte(transportByte(session.transport()))
                    .writeByte(name.length).writeBytes(name);
            ctx.writeAndFlush(hello);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            QuicChannel q = (QuicChannel) ctx.channel().parent();
            if (state == 1) {
                if (in.readableBytes() < 2 + TokenProof.NONCE_BYTES) {
                    return;
                }
                int i = in.readerIndex();
                int n = in.getUnsignedByte(i + 1 + TokenProof.NONCE_BYTES);
                if (in.getUnsignedByte(i) != VERSION) {
                    Link.close(q, Link.CLOSE_PROTOCOL, "protocol version " + VERSION + " only");
                    state = 3;
                    return;
                }
                if (in.readableBytes() < 2 + TokenProof.NONCE_BYTES + n) {
                    return;
                }
                byte[] nonce = new byte[TokenProof.NONCE_BYTES];
                in.getBytes(i + 1, nonce);
                String address = in.toString(i + 2 + TokenProof.NONCE_BYTES, n, StandardCharsets.US_ASCII);
                in.skipBytes(2 + TokenProof.NONCE_BYTES + n);
                ctx.writeAndFlush(ctx.alloc().buffer(TokenProof.PROOF_BYTES)
                        .writeBytes(TokenProof.prove(session.token(), session.name(), nonce, address)));
                state = 2;
            }
            if (state == 2) {
                if (in.readableBytes() < 1) {
                    return;
                }
                int status = in.readUnsignedByte();
                if (status != ACCEPT) {
                    Link.close(q, Link.CLOSE_PROTOCOL, "unexpected handshake status " + status);
                    state = 3;
                    return;
                }
                state = 3;
                link.metrics(table.metrics(session.name()));
                ctx.pipeline().addAfter(ctx.name(), "frames", link.new Frames());
                table.bringUp(session, q, (QuicStreamChannel) ctx.channel(), link, onAccepted);
                ctx.pipeline().remove(this);
                return;
            }
            if (state == 3 && in.readableBytes() > 0) {
                in.skipBytes(in.readableBytes());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Link.close((QuicChannel) ctx.channel().parent(), Link.CLOSE_PROTOCOL, "protocol error");
        }
    }
}
