package dev.portico.lb;

import dev.portico.core.tls.ClientHelloParser;
import dev.portico.core.transport.IdleTimer;
import dev.portico.upstream.Backend;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.Socket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of an accepted client connection: enforces the service connection cap,
 * dials a backend, then hands both channels to a {@link Relay}. A connection from a trusted
 * proxy ({@code accept_proxy}) first goes through a {@link ProxyHeaderDecoder}, and the real
 * client it names is used for scheduling and for the PROXY header sent on. A service with
 * {@code sni_routes} first reads the client's TLS ClientHello ({@link ClientHelloParser}) and
 * picks the group by its server name; the bytes read for it go to the backend untouched. Closes
 * the connection when it has been idle too long, and counts it open until it closes.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);
    /** Bytes read at accept, before the backend is dialled: a typical request head. */
    private static final int EARLY_READ = 4096;

    private final LbShared shared;
    private final Route route;
    private IdleTimer idle;
    private boolean counted;
    private boolean relaying;
    /** Client bytes read before the relay started (after a PROXY header); sent first. */
    private ByteBuf early;
    /** Set while the ClientHello is awaited (SNI routing): its deadline. */
    private ScheduledFuture<?> helloTimer;
    /** The client and the address it reached, kept for the dial that follows the hello. */
    private SocketAddress source;
    private SocketAddress destination;

    /** True behind TLS offload: bytes come decrypted through the pipeline, never from the socket itself. */
    private final boolean decrypted;

    FrontendHandler(LbShared shared, Route route, boolean decrypted) {
        this.shared = shared;
        this.route = route;
        this.decrypted = decrypted;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        counted = true;
        LbMetrics metrics = shared.metrics();
        int open = metrics.opened();
        int cap = route.maxConnections();
        if (open > cap) {
            metrics.rejected();
            log.debug("{}: refusing {}: {} connections open (limit {})", shared.name(), ctx.channel().remoteAddress(),
                    open - 1, cap);
            ctx.close();
            return;
        }
        Channel client = ctx.channel();
        idle = new IdleTimer(client, route.config().idleTimeout().toNanos(), () -> {
            log.debug("{}: closing {} after {} idle", shared.name(), client.remoteAddress(), route.config().idleTimeout());
            client.close();
        });
        idle.start();
        if (route.config().acceptProxy().trusts(client.remoteAddress())) {
            ctx.pipeline().addBefore(ctx.name(), "proxy-header",
                    new ProxyHeaderDecoder(shared.name(), metrics, route.config().connectTimeout()));
            ctx.read();
        } else if (route.sni() != null) {
            awaitHello(ctx, client.remoteAddress(), client.localAddress(), readWaiting(client));
        } else {
            early = decrypted ? early : readWaiting(client);
            dial(client, route, client.remoteAddress(), client.localAddress());
        }
        ctx.fireChannelActive();
    }

    /**
     * Reads until the client's ClientHello is complete (or shown not to be one, or late), then
     * dials the group its server name routes to. Bytes read are kept, not consumed: they go to the
     * backend first.
     */
    private void awaitHello(ChannelHandlerContext ctx, SocketAddress from, SocketAddress to, ByteBuf first) {
        source = from;
        destination = to;
        helloTimer = ctx.executor().schedule(() -> helloTimedOut(ctx), route.sni().helloTimeoutNanos(),
                TimeUnit.NANOSECONDS);
        if (first != null) {
            helloBytes(ctx, first);
        }
        if (helloTimer != null) {
            ctx.read();
        }
    }

    /** Adds client bytes to those read for the hello, and routes once they tell enough. */
    private void helloBytes(ChannelHandlerContext ctx, ByteBuf buf) {
        if (early == null) {
            early = buf;
        } else {
            early.writeBytes(buf); // grows by doubling: linear even for a hello sent byte by byte
            buf.release();
        }
        ClientHelloParser.Result r = ClientHelloParser.parse(early);
        if (r == ClientHelloParser.NEED_MORE) {
            if (early.readableBytes() < ClientHelloParser.MAX_BYTES) {
                return; // channelReadComplete asks for the next read
            }
            r = new ClientHelloParser.NotTls("no complete ClientHello in " + early.readableBytes() + " bytes");
        }
        if (r instanceof ClientHelloParser.Hello hello) {
            helloDone();
            dial(ctx.channel(), route.sni().route(hello), source, destination);
        } else {
            noHello(ctx, false, ((ClientHelloParser.NotTls) r).reason());
        }
    }

    private void helloTimedOut(ChannelHandlerContext ctx) {
        if (helloTimer != null && ctx.channel().isActive()) {
            noHello(ctx, true, "no ClientHello within " + route.config().clientHelloTimeout());
        }
    }

    /** The connection brought no valid hello in time: relay it to the default group, or close it. */
    private void noHello(ChannelHandlerContext ctx, boolean timeout, String why) {
        helloDone();
        Route fallback = route.sni().fallback(timeout);
        log.debug("{}: {} from {}: {}", shared.name(), fallback != null ? "default group" : "closing",
                ctx.channel().remoteAddress(), why);
        if (fallback != null) {
            dial(ctx.channel(), fallback, source, destination);
        } else {
            ctx.close();
        }
    }

    private void helloDone() {
        if (helloTimer != null) {
            helloTimer.cancel(false);
            helloTimer = null;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (helloTimer != null && ctx.channel().isActive()) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    /**
     * Reads what the client has already sent, without waiting (HAProxy does the same at accept):
     * most clients speak first, and their first bytes are usually in the socket by the time it
     * is accepted. They then go to the backend as soon as it is connected, saving a round of the
     * event loop, and the backend socket can hold back the handshake's last ACK so that it
     * travels with them ({@link Dialer}). Like bytes that followed a PROXY header, they count as
     * sent once the backend is connected: a backend that then closes without a byte gets the
     * client closed, not moved to another host (HAProxy, too, retries only connects). Epoll only;
     * null when nothing is waiting.
     */
    private static ByteBuf readWaiting(Channel client) {
        if (!(client instanceof EpollSocketChannel epoll) || !(epoll.fd() instanceof Socket socket)) {
            return null;
        }
        ByteBuf buf = client.alloc().directBuffer(EARLY_READ);
        int n;
        try {
            java.nio.ByteBuffer nio = buf.internalNioBuffer(0, buf.capacity());
            n = socket.recv(nio, nio.position(), nio.limit());
        } catch (IOException e) {
            n = 0; // a reset: the channel's own read reports it
        }
        if (n <= 0) {
            buf.release();
            return null;
        }
        buf.writerIndex(n);
        return buf;
    }

    private void dial(Channel client, Route target, SocketAddress source, SocketAddress destination) {
        InetSocketAddress src = source instanceof InetSocketAddress a ? a : null;
        shared.dialer().dial(client, target, src, early != null, new Dialer.Outcome() {
            @Override
            public void connected(Backend host, Channel backend, Runnable redispatch) {
                shared.channels().add(backend);
                ProxyProtocol pp = route.config().proxyProtocol();
                ByteBuf header = pp == ProxyProtocol.OFF ? null
                        : ProxyHeader.encode(pp, source, destination, backend.alloc());
                ByteBuf first = early;
                early = null;
                relaying = true;
                // The Netty path copies: spliceTo in Netty 4.2.18 can drop the end of a stream when
                // the peer's FIN arrives during a splice (LbSpliceTest lost bytes in about one run
                // of three). The native engine splices.
                Relay.start(client, backend, host, shared.metrics(), idle, Splice.OFF, header, first, () -> {
                    relaying = false;
                    redispatch.run();
                });
            }

            @Override
            public void exhausted(String why) {
                shared.metrics().noBackend();
                shared.noBackendLog().warn("{}: no backend for client {}: {}; closing it", shared.name(), source, why);
                client.close();
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ProxyHeaderDecoder.Proxied proxied) {
            early = proxied.rest();
            Channel client = ctx.channel();
            ProxyHeaderParser.Result h = proxied.header();
            boolean named = h.source() != null && h.destination() != null;
            SocketAddress from = named ? h.source() : client.remoteAddress();
            SocketAddress to = named ? h.destination() : client.localAddress();
            if (route.sni() != null) {
                ByteBuf rest = early;
                early = null;
                awaitHello(ctx, from, to, rest);
            } else {
                dial(client, route, from, to);
            }
            return;
        }
        if (evt instanceof ChannelInputShutdownEvent && helloTimer != null) {
            // The client ended its side before its hello was complete: nothing to route by.
            noHelloClose(ctx);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** A client that closed its side mid-hello is closed, whatever the fallback; counted as invalid and closed. */
    private void noHelloClose(ChannelHandlerContext ctx) {
        helloDone();
        route.sni().abandoned();
        log.debug("{}: closing {}: it ended its side before a complete ClientHello", shared.name(),
                ctx.channel().remoteAddress());
        ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (relaying) {
            ctx.fireChannelRead(msg);
        } else if (helloTimer != null && msg instanceof ByteBuf buf) {
            helloBytes(ctx, buf);
        } else if (msg instanceof ByteBuf buf) {
            // Only after a PROXY header, when the decoder's last read batch went on past it.
            early = early == null ? buf : ctx.alloc().compositeBuffer().addComponents(true, early, buf);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            counted = false;
            shared.metrics().closed();
        }
        if (idle != null) {
            idle.cancel();
        }
        helloDone();
        if (early != null) {
            early.release();
            early = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: client {} failed: {}", shared.name(), ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
