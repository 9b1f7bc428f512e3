package dev.portico.lb;

import dev.portico.upstream.Backend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * </ul>
 *
 * When the backend connection ends, the host's stats get the byte counts.
 */
final class Relay {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    private final Side client;
    private final Side backend;
    private final LbMetrics metrics;
    private final Runnable redispatch;

    private Relay(Channel clientChannel, Channel backendChannel, LbMetrics metrics, Runnable redispatch) {
        this.metrics = metrics;
        this.redispatch = redispatch;
        this.client = new Side("client", clientChannel);
        this.backend = new Side("backend", backendChannel);
        client.peer = backend;
        backend.peer = client;
    }

    /**
     * Joins the two channels and starts reading both. Call on their event loop.
     *
     * @param header bytes to send to the backend before any client byte (a PROXY header), or null
     * @param early  client bytes already read (after a PROXY header from a proxy in front), or null
     * @param redispatch called instead of closing the client when the backend closes before a
     *                   single byte went either way, so the client can go to another host
     */
    static void start(Channel clientChannel, Channel backendChannel, Backend host, LbMetrics metrics, ByteBuf header,
                      ByteBuf early, Runnable redispatch) {
        Relay relay = new Relay(clientChannel, backendChannel, metrics, redispatch);
        backendChannel.closeFuture().addListener(f -> host.onClosed(relay.backend.bytesRead, relay.client.bytesRead));
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
        clientChannel.config().setAutoRead(true);
        backendChannel.config().setAutoRead(true);
    }

    /** The handler on one of the two channels; it writes what it reads to its peer. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final String role;
        private final Channel channel;
        private Side peer;
        private long bytesRead;
        private boolean inputShut;

        Side(String role, Channel channel) {
            this.role = role;
            this.channel = channel;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                bytesRead += buf.readableBytes();
            } else if (msg instanceof ByteBufHolder holder) {
                bytesRead += holder.content().readableBytes();
            }
            peer.channel.write(msg, peer.channel.voidPromise());
            if (!peer.channel.isWritable()) {
                peer.channel.flush();
                if (!peer.channel.isWritable()) {
                    channel.config().setAutoRead(false);
                }
            }
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
                inputShut = true;
                if (peer.inputShut) {
                    // Both sides said they are done: deliver what is pending, then close both.
                    peer.channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                        peer.channel.close();
                        channel.close();
                    });
                } else {
                    peer.channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                        if (peer.channel.isActive()) {
                            ((DuplexChannel) peer.channel).shutdownOutput();
                        }
                    });
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        /**
         * The backend went away before a byte went either way: hand the client back for another
         * host instead of closing it.
         */
        boolean closedBeforeAnyByte() {
            if (this != backend || bytesRead != 0 || client.bytesRead != 0 || client.inputShut
                    || !client.channel.isActive() || redispatch == null) {
                if (this == backend && client.channel.isActive()) {
                    client.channel.close();
                }
                return false;
            }
            client.channel.config().setAutoRead(false);
            if (client.channel.pipeline().get("relay") != null) {
                client.channel.pipeline().remove("relay");
            }
            redispatch.run();
            return true;
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (this == backend && bytesRead == 0 && client.bytesRead == 0 && closedBeforeAnyByte()) {
                ctx.fireChannelInactive();
                return;
            }
            if (peer.channel.isActive()) {
                peer.channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
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
