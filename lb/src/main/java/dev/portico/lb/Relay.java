package dev.portico.lb;

import dev.portico.core.transport.IdleTimer;
import dev.portico.upstream.Backend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Copies bytes both ways between a client and the backend chosen for it. Both channels live on
 * the same event loop, so the state here needs no locks.
 *
 * <ul>
 *   <li>Backpressure: a side stops reading while the other side is not writable, and resumes
 *       when it drains.</li>
 *   <li>Half-close: a FIN from one side becomes a shutdown of the other side's output once every
 *       byte before it was written; when both sides have sent FIN, both are closed.</li>
 *   <li>A full close or an error on one side closes the other after its pending writes.</li>
 *   <li>Splice: on the epoll transport, a direction that has carried the service's splice
 *       threshold in large reads ({@link Splice#AUTO}) is handed to
 *       {@code EpollSocketChannel.spliceTo}, which moves
 *       its bytes through a kernel pipe without copying them into the JVM, for the rest of the
 *       connection. Bytes already read are written first, so order is kept; Netty keeps the
 *       backpressure (the source stops reading while the pipe is not drained) and reports the end
 *       of input as for a copied direction, so half-close works the same.</li>
 * </ul>
 *
 * When the backend connection ends, the host's stats get the byte counts: counted per read
 * when copying, by the channels' {@link CountingRecvAllocator} when they may be spliced.
 */
final class Relay {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    private final Side client;
    private final Side backend;
    private final LbMetrics metrics;
    private final IdleTimer idle;
    private final Runnable redispatch;
    /** Bytes a direction carries before it is spliced; -1 for never. */
    private final long spliceAfter;

    private Relay(Channel clientChannel, Channel backendChannel, LbMetrics metrics, IdleTimer idle,
                  long spliceAfter, Runnable redispatch) {
        this.metrics = metrics;
        this.idle = idle;
        this.spliceAfter = spliceAfter;
        this.redispatch = redispatch;
        this.client = new Side("client", clientChannel);
        this.backend = new Side("backend", backendChannel);
        client.peer = backend;
        backend.peer = client;
    }

    /**
     * Joins the two channels and starts reading both. Call on their event loop.
     *
     * @param idle   told of every read either way, or null
     * @param splice whether to splice; honoured only when both channels are epoll channels with a
     *               {@link CountingRecvAllocator}
     * @param header bytes to send to the backend before any client byte (a PROXY header), or null
     * @param early  client bytes already read (after a PROXY header from a proxy in front), or null
     * @param redispatch called instead of closing the client when the backend closes before a
     *                   single byte went either way, so the client can go to another host
     */
    static void start(Channel clientChannel, Channel backendChannel, Backend host, LbMetrics metrics, IdleTimer idle,
                      Splice splice, ByteBuf header, ByteBuf early, Runnable redispatch) {
        CountingRecvAllocator clientCount = counter(clientChannel);
        CountingRecvAllocator backendCount = counter(backendChannel);
        boolean spliceable = splice != Splice.OFF && clientCount != null && backendCount != null;
        Relay relay = new Relay(clientChannel, backendChannel, metrics, idle, spliceable ? splice.threshold() : -1,
                redispatch);
        if (clientCount != null && backendCount != null) {
            relay.client.count(clientCount);
            relay.backend.count(backendCount);
        }
        backendChannel.closeFuture().addListener(f -> host.onClosed(relay.backend.bytesRead(), relay.client.bytesRead()));
        clientChannel.pipeline().addLast("relay", relay.client);
        backendChannel.pipeline().addLast("relay", relay.backend);
        if (header != null) {
            backendChannel.write(header, backendChannel.voidPromise());
        }
        if (early != null) {
            relay.client.bytesRead += early.readableBytes();
            backendChannel.write(early, backendChannel.voidPromise());
        }
        backendChannel.flush();
        if (!clientChannel.isActive()) {
            backendChannel.close();
            return;
        }
        if (!backendChannel.isActive()) {
            relay.backend.closedBeforeAnyByte();
            return;
        }
        if (relay.spliceAfter == 0) {
            relay.client.splice();
            relay.backend.splice();
        }
        clientChannel.config().setAutoRead(true);
        backendChannel.config().setAutoRead(true);
    }

    /** The channel's counting allocator when it is an epoll channel that has one, else null. */
    private static CountingRecvAllocator counter(Channel ch) {
        return ch instanceof EpollSocketChannel && ch.config().getRecvByteBufAllocator() instanceof CountingRecvAllocator c
                ? c : null;
    }

    /**
     * Runs {@code action} once everything written to {@code ch} so far has left: at once when
     * nothing is pending (the usual case, since each read batch is flushed), else when a flush
     * of what is pending completes.
     */
    private static void afterFlush(Channel ch, Runnable action) {
        ChannelOutboundBuffer pending = ch.unsafe().outboundBuffer();
        if (pending == null || pending.isEmpty() && pending.totalPendingWriteBytes() == 0) {
            action.run();
        } else {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> action.run());
        }
    }

    /** The handler on one of the two channels; it writes what it reads to its peer. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final String role;
        private final Channel channel;
        private Side peer;
        /** Bytes read: all of them when copying, only the early ones when {@link #counter} counts. */
        private long bytesRead;
        /** Counts every byte read, copied or spliced, when the connection may be spliced; else null. */
        private CountingRecvAllocator counter;
        /** What {@link #counter} had counted before the relay started (a PROXY header read by the decoder). */
        private long counterBase;
        private boolean splicing;
        /** Bytes read in the current unbroken run of large reads (see {@link Splice#AUTO}). */
        private long largeRun;
        private boolean inputShut;
        /** The client was handed back for another host; set once. */
        private boolean handedBack;

        Side(String role, Channel channel) {
            this.role = role;
            this.channel = channel;
        }

        void count(CountingRecvAllocator c) {
            counter = c;
            counterBase = c.bytes();
            c.idle(idle);
        }

        /** Bytes read from this side since the relay started, plus any read early. */
        long bytesRead() {
            return counter == null ? bytesRead : bytesRead + counter.bytes() - counterBase;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            int n = msg instanceof ByteBuf buf ? buf.readableBytes()
                    : msg instanceof ByteBufHolder holder ? holder.content().readableBytes() : 0;
            if (counter == null) {
                if (idle != null) {
                    idle.touch();
                }
                bytesRead += n;
            }
            largeRun = n >= Splice.AUTO_LARGE_READ ? largeRun + n : 0;
            peer.channel.write(msg, peer.channel.voidPromise());
            if (!peer.channel.isWritable()) {
                peer.channel.flush();
                if (!peer.channel.isWritable()) {
                    channel.config().setAutoRead(false);
                }
            }
            if (spliceAfter > 0 && !splicing && largeRun >= spliceAfter) {
                splice();
            }
        }

        /**
         * Splices this side's input into the peer from now on. What was read before is already
         * queued on the peer, ahead of the spliced bytes. The splice never completes by itself;
         * it fails when either channel closes, which the relay already handles.
         */
        void splice() {
            if (splicing || inputShut || !channel.isActive() || !peer.channel.isActive()) {
                return;
            }
            splicing = true;
            metrics.spliced();
            // A spliced side must see its end of input as an event (see drainAfterSplice), even
            // when shutdownOutput() turned half-closure off for it.
            ((SocketChannelConfig) channel.config()).setAllowHalfClosure(true);
            ((EpollSocketChannel) channel).spliceTo((EpollSocketChannel) peer.channel, Integer.MAX_VALUE)
                    .addListener(f -> {
                        if (!f.isSuccess() && channel.isActive() && peer.channel.isActive()) {
                            log.debug("{} {}: splice failed: {}", role, channel.remoteAddress(), f.cause().toString());
                            channel.close();
                        }
                    });
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.channel.flush();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (channel.isWritable() && !peer.inputShut && peer.channel.isActive()) {
                peer.channel.config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                if (this == backend && !splicing && !client.splicing && bytesRead() == 0
                        && client.bytesRead() == 0 && !client.inputShut && closedBeforeAnyByte()) {
                    // A FIN before any byte (a backend closing its listener with this connection
                    // just accepted): the client goes to the next host, as after a reset. Not
                    // while splicing, whose byte counts catch up only as the pipe drains.
                    channel.close();
                    return;
                }
                inputShut = true;
                if (splicing) {
                    drainAfterSplice();
                }
                if (peer.inputShut) {
                    // Both sides said they are done: deliver what is pending, then close both.
                    afterFlush(peer.channel, () -> {
                        peer.channel.close();
                        channel.close();
                    });
                } else {
                    afterFlush(peer.channel, peer::shutdownOutput);
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        /**
         * Moves what is still in this side's socket to the peer. When the peer's FIN arrives
         * during a splice, Netty (4.2.18) splices at most one read's worth and then shuts the
         * input down, so bytes still queued in the socket would be lost; Linux still returns them
         * after that shutdown. They are written after the spliced bytes already queued on the peer.
         */
        private void drainAfterSplice() {
            if (!(((EpollSocketChannel) channel).fd() instanceof Socket socket)) {
                return;
            }
            for (;;) {
                ByteBuf buf = channel.alloc().directBuffer(64 * 1024);
                int n;
                try {
                    java.nio.ByteBuffer nio = buf.internalNioBuffer(0, buf.capacity());
                    n = socket.recv(nio, nio.position(), nio.limit());
                } catch (IOException e) {
                    n = -1;
                }
                if (n <= 0) {
                    buf.release();
                    break;
                }
                buf.writerIndex(n);
                counter.add(n);
                peer.channel.write(buf, peer.channel.voidPromise());
            }
            peer.channel.flush();
        }

        /**
         * Sends FIN on this side once the other side has sent its own. This side's own FIN will
         * then end the connection: with half-closure off, Netty closes the channel at end of input
         * instead of shutting a socket down whose output is already shut (which fails on Linux
         * with ENOTCONN, and Netty builds an exception with a stack trace for it).
         */
        void shutdownOutput() {
            if (!channel.isActive()) {
                return;
            }
            if (!splicing) {
                ((SocketChannelConfig) channel.config()).setAllowHalfClosure(false);
            }
            SslHandler tls = channel.pipeline().get(SslHandler.class);
            if (tls != null) {
                // TLS offload: close_notify first, so the client sees a clean end of the stream
                tls.closeOutbound().addListener(f -> shutdownSocket());
                return;
            }
            shutdownSocket();
        }

        private void shutdownSocket() {
            if (!channel.isActive()) {
                return;
            }
            if (channel instanceof UnixChannel unix && unix.fd() instanceof Socket socket) {
                // Everything written was flushed (see afterFlush), so the socket can be shut down
                // directly: Netty's shutdownOutput() fails its outbound buffer with a new
                // ChannelOutputShutdownException, whose stack trace costs more than the syscall.
                try {
                    socket.shutdown(false, true);
                } catch (IOException e) {
                    channel.close();
                }
            } else {
                ((DuplexChannel) channel).shutdownOutput();
            }
        }

        /**
         * The backend went away before a byte went either way: hand the client back for another
         * host instead of closing it.
         */
        boolean closedBeforeAnyByte() {
            if (handedBack) {
                return true;
            }
            if (this != backend || bytesRead() != 0 || client.bytesRead() != 0 || client.inputShut
                    || !client.channel.isActive() || redispatch == null) {
                if (this == backend && client.channel.isActive()) {
                    client.channel.close();
                }
                return false;
            }
            handedBack = true;
            client.channel.config().setAutoRead(false);
            if (client.channel.pipeline().get("relay") != null) {
                client.channel.pipeline().remove("relay");
            }
            redispatch.run();
            return true;
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (this == backend && bytesRead() == 0 && client.bytesRead() == 0 && closedBeforeAnyByte()) {
                ctx.fireChannelInactive();
                return;
            }
            if (peer.channel.isActive()) {
                afterFlush(peer.channel, peer.channel::close);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (this == backend) {
                metrics.backendError();
            }
            log.debug("{} {} failed: {}", role, channel.remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
