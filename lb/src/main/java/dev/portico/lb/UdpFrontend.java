package dev.portico.lb;

import dev.portico.upstream.Backend;
import dev.portico.upstream.BackendAddresses;
import dev.portico.upstream.scheduler.SelectionContext;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The handler of one listening UDP socket: it maps client addresses to {@link UdpSession}s. The
 * first datagram of an unknown client asks the scheduler for a host (the same pick as a TCP
 * connection: health, admin state and per-backend cap apply), opens a connected datagram socket
 * to it on this event loop, and forwards. A sweep closes sessions idle for longer than the
 * session timeout. Everything here runs on the socket's event loop, so the map needs no lock.
 */
final class UdpFrontend extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(UdpFrontend.class);

    private final LbShared shared;
    private final Map<InetSocketAddress, UdpSession> sessions = new HashMap<>();
    private final List<UdpSession> dirty = new ArrayList<>();
    private Channel server;
    private ScheduledFuture<?> sweeper;

    UdpFrontend(LbShared shared) {
        this.shared = shared;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        server = ctx.channel();
        long period = sweepPeriod(shared.route().get().config().udp().sessionTimeout());
        sweeper = ctx.executor().scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    /** A quarter of the timeout, between 10 ms and 1 s: sessions close at most that late. */
    static long sweepPeriod(Duration timeout) {
        return Math.clamp(timeout.toMillis() / 4, 10, 1000);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            InetSocketAddress client = packet.sender();
            UdpSession session = sessions.get(client);
            if (session == null) {
                session = open(client);
                if (session == null) {
                    shared.metrics().udpDropped();
                    return;
                }
            }
            if (session.fromClient(packet.content().retain()) && !session.markedDirty) {
                session.markedDirty = true;
                dirty.add(session);
            }
        } finally {
            packet.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        for (UdpSession s : dirty) {
            s.markedDirty = false;
            s.flushToBackend();
        }
        dirty.clear();
        ctx.fireChannelReadComplete();
    }

    private UdpSession open(InetSocketAddress client) {
        Route route = shared.route().get();
        LbMetrics metrics = shared.metrics();
        if (!metrics.udpSessionOpened(route.config().udp().maxSessions())) {
            log.debug("{}: no session for {}: {} sessions open", shared.name(), client, route.config().udp().maxSessions());
            return null;
        }
        Optional<Backend> pick = route.group().pick(SelectionContext.ofClient(client), Set.of(),
                route.config().maxPerBackend());
        if (pick.isEmpty()) {
            metrics.udpSessionClosed();
            metrics.noBackend();
            shared.noBackendLog().warn("{}: no backend for client {}: no host of group {} is available; dropping",
                    shared.name(), client, route.group().name());
            return null;
        }
        Backend host = pick.get();
        host.onConnectStart();
        UdpSession session = new UdpSession(client, host, server, metrics, this::closed);
        sessions.put(client, session);
        Bootstrap b = new Bootstrap()
                .group(server.eventLoop())
                .channel(shared.datagramClass())
                .option(ChannelOption.AUTO_READ, true)
                .handler(session.backendHandler());
        session.connect(b, BackendAddresses.literalOrUnresolved(host.address()), shared.channels());
        return session;
    }

    private void closed(UdpSession session) {
        sessions.remove(session.client(), session);
        shared.metrics().udpSessionClosed();
    }

    private void sweep() {
        long timeout = shared.route().get().config().udp().sessionTimeout().toNanos();
        long now = System.nanoTime();
        List<UdpSession> expired = new ArrayList<>();
        for (UdpSession s : sessions.values()) {
            if (now - s.lastActive() >= timeout) {
                expired.add(s);
            }
        }
        for (UdpSession s : expired) {
            log.debug("{}: UDP session {} -> {} expired", shared.name(), s.client(), s.host());
            s.close();
        }
    }

    /** Open sessions on this socket (for tests, on the event loop). */
    int sessions() {
        return sessions.size();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        new ArrayList<>(sessions.values()).forEach(UdpSession::close);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A listening datagram socket survives errors (an ICMP error for a reply, a bad packet).
        log.debug("{}: UDP listener {} error: {}", shared.name(), ctx.channel().localAddress(), cause.toString());
    }
}
