package dev.portico.lb;

import dev.portico.upstream.Backend;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of an accepted client connection: enforces the service connection cap,
 * dials a backend, then hands both channels to a {@link Relay}. Closes the connection when it
 * has been idle too long, and counts it open until it closes.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    private final String service;
    private final Route route;
    private final Dialer dialer;
    private final LbMetrics metrics;
    private final ChannelGroup channels;
    private boolean counted;

    FrontendHandler(String service, Route route, Dialer dialer, LbMetrics metrics, ChannelGroup channels) {
        this.service = service;
        this.route = route;
        this.dialer = dialer;
        this.metrics = metrics;
        this.channels = channels;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        counted = true;
        int open = metrics.opened();
        int cap = route.config().maxConnections();
        if (cap > 0 && open > cap) {
            metrics.rejected();
            log.debug("{}: refusing {}: {} connections open (limit {})", service, ctx.channel().remoteAddress(), open - 1, cap);
            ctx.close();
            return;
        }
        Channel client = ctx.channel();
        dialer.dial(client, route, new Dialer.Outcome() {
            @Override
            public void connected(Backend host, Channel backend) {
                channels.add(backend);
                ByteBuf header = route.config().proxyProtocol() == ProxyProtocol.OFF ? null
                        : ProxyHeader.encode(route.config().proxyProtocol(), client.remoteAddress(),
                        client.localAddress(), backend.alloc());
                Relay.start(client, backend, host, metrics, header);
            }

            @Override
            public void exhausted(String why) {
                metrics.noBackend();
                log.warn("{}: no backend for client {}: {}; closing it", service, client.remoteAddress(), why);
                client.close();
            }
        });
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            log.debug("{}: closing {} after {} idle", service, ctx.channel().remoteAddress(), route.config().idleTimeout());
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            counted = false;
            metrics.closed();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: client {} failed: {}", service, ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
