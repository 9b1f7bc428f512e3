package dev.portico.lb;

import dev.portico.upstream.Backend;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * One client address of a UDP service and the host it was placed on: a connected datagram socket
 * to the host on the listener's event loop. Datagrams from the client go to the host, datagrams
 * from the host go back to the client through the listening socket. Datagrams are dropped and
 * counted, never queued without bound, when a socket is not writable. An ICMP error from the
 * host (nothing listens) counts as a failed connect: the host is marked down and the session
 * closes, so the client's next datagram opens a session on another host.
 */
final class UdpSession {

    private static final Logger log = LoggerFactory.getLogger(UdpSession.class);
    /** Datagrams kept while the upstream socket is being set up. */
    private static final int MAX_PENDING = 64;

    private final InetSocketAddress client;
    private final Backend host;
    private final Channel server;
    private final LbMetrics metrics;
    private final Consumer<UdpSession> onClose;
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private Channel upstream;
    private boolean connected;
    private boolean closed;
    private long lastActive = System.nanoTime();
    private long bytesIn;
    private long bytesOut;
    /** Set by the frontend while this client flow waits for a flush at the end of a read batch. */
    boolean markedDirty;

    UdpSession(InetSocketAddress client, Backend host, Channel server, LbMetrics metrics, Consumer<UdpSession> onClose) {
        this.client = client;
        this.host = host;
        this.server = server;
        this.metrics = metrics;
        this.onClose = onClose;
    }

    InetSocketAddress client() {
        return client;
    }

    Backend host() {
        return host;
    }

    long lastActive() {
        return lastActive;
    }

    ChannelHandler backendHandler() {
        return new FromBackend();
    }

    void connect(Bootstrap bootstrap, InetSocketAddress address, ChannelGroup channels) {
        ChannelFuture f = bootstrap.connect(address);
        upstream = f.channel();
        channels.add(upstream);
        upstream.closeFuture().addListener(x -> close());
        f.addListener(x -> {
            if (!x.isSuccess()) {
                String reason = x.cause().getMessage() != null ? x.cause().getMessage() : x.cause().toString();
                host.onConnectFailed(reason);
                close();
                return;
            }
            connected = true;
            while (!pending.isEmpty()) {
                upstream.write(pending.poll(), upstream.voidPromise());
            }
            upstream.flush();
        });
    }

    /**
     * A datagram from the client; takes ownership of {@code data}.
     *
     * @return true when it was written and needs a flush
     */
    boolean fromClient(ByteBuf data) {
        lastActive = System.nanoTime();
        if (closed) {
            data.release();
            metrics.udpDropped();
            return false;
        }
        bytesOut += data.readableBytes();
        if (!connected) {
            if (pending.size() < MAX_PENDING) {
                pending.add(data);
            } else {
                data.release();
                metrics.udpDropped();
            }
            return false;
        }
        if (!upstream.isWritable()) {
            data.release();
            metrics.udpDropped();
            return false;
        }
        upstream.write(data, upstream.voidPromise());
        return true;
    }

    void flushToBackend() {
        if (upstream != null && connected) {
            upstream.flush();
        }
    }

    /** Closes the upstream socket and gives the host its stats; safe to call more than once. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        while (!pending.isEmpty()) {
            pending.poll().release();
        }
        if (upstream != null) {
            upstream.close();
        }
        host.onClosed(bytesIn, bytesOut);
        onClose.accept(this);
    }

    /** The handler of the upstream socket. */
    private final class FromBackend extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data;
            if (msg instanceof DatagramPacket packet) {
                data = packet.content();
            } else if (msg instanceof ByteBuf buf) {
                data = buf;
            } else {
                ReferenceCountUtil.release(msg);
                return;
            }
            lastActive = System.nanoTime();
            bytesIn += data.readableBytes();
            if (closed || !server.isWritable()) {
                ReferenceCountUtil.release(msg);
                metrics.udpDropped();
                return;
            }
            server.write(new DatagramPacket(data, client), server.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            server.flush();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            String reason = cause.getMessage() != null ? cause.getMessage() : cause.toString();
            log.debug("UDP session {} -> {} failed: {}", client, host, reason);
            host.onConnectFailed(reason);
            metrics.backendError();
            close();
        }
    }
}
