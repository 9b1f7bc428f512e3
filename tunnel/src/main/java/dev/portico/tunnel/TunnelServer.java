package dev.portico.tunnel;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.net.HostPort;
import dev.portico.core.tls.TlsException;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import io.netty.handler.codec.quic.QuicCodecDispatcher;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.EventExecutor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * The accepting side: one UDP socket per worker on each listen address (SO_REUSEPORT), with one
 * {@link QuicCodecDispatcher} per address so that a connection's packets reach the codec that
 * holds it, whichever socket the kernel hands them to; a client whose NAT rebinds keeps its
 * connection. Each connection's first stream runs {@link Handshake.Server}.
 */
final class TunnelServer {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TunnelServer.class);

    static final AttributeKey<Link> LINK = AttributeKey.valueOf("portico.tunnel.link");

    private final String service;
    private final TunnelConfig config;
    private final ServiceContext context;
    private final SessionTable table;
    private final ServerIdentity identity;
    private final SecureRandom random = new SecureRandom();
    private final List<Channel> channels = new ArrayList<>();
    private final List<InetSocketAddress> bound = new ArrayList<>();
    private final java.util.Map<String, SessionConfig> sessions;
    private final JunkFilter junk = new JunkFilter();
    /** Connections that have not proved a token yet. */
    private final java.util.concurrent.atomic.AtomicInteger unauthenticated = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.LongAdder overCap = new java.util.concurrent.atomic.LongAdder();

    TunnelServer(String service, TunnelConfig config, ServiceContext context, SessionTable table,
                 ServerIdentity identity) {
        this.service = service;
        this.config = config;
        this.context = context;
        this.table = table;
        this.identity = identity;
        this.sessions = config.serverSessions();
    }

    List<InetSocketAddress> bound() {
        return List.copyOf(bound);
    }

    void start() throws IOException {
        QuicSslContext ssl;
        try {
            ssl = sslContext(identity);
        } catch (TlsException e) {
            throw new IOException("tunnel '" + service + "': " + e.getMessage(), e);
        }
        for (HostPort listen : config.listen()) {
            bind(listen, ssl);
        }
    }

    /**
     * The server's TLS context: its key and chain straight from their PEM files
     * ({@link IdentityKeyManager}), with the tunnel's ALPN.
     */
    static QuicSslContext sslContext(ServerIdentity identity) throws TlsException {
        return QuicSslContextBuilder.forServer(IdentityKeyManager.of(identity), null)
                .applicationProtocols(QuicSettings.ALPN).build();
    }

    private void bind(HostPort listen, QuicSslContext ssl) throws IOException {
        InetSocketAddress address = listen.toAddress();
        QuicCodecDispatcher dispatcher = new QuicCodecDispatcher() {
            @Override
            protected void initChannel(Channel channel, int idLength, QuicConnectionIdGenerator ids) {
                channel.pipeline().addLast(codec(ssl, idLength, ids));
            }
        };
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor e : context.workers()) {
            loops.add((EventLoop) e);
            if (!context.transport().supportsReusePort()) {
                break;
            }
        }
        InetSocketAddress at = address;
        for (EventLoop loop : loops) {
            Bootstrap b = new Bootstrap().group(loop)
                    .channelFactory(context.transport().datagramChannelFactory(address.getAddress()))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            // the dispatcher adds the codec after itself, before the tail
                            ch.pipeline().addLast(junk, dispatcher, junk.tail());
                        }
                    });
            if (loops.size() > 1) {
                context.transport().reusePort(b);
            }
            QuicSettings.socketBuffers(b, config);
            QuicSettings.batchReads(b, context.transport(), config);
            try {
                Channel ch = b.bind(at).sync().channel();
                channels.add(ch);
                if (at.getPort() == 0) {
                    at = (InetSocketAddress) ch.localAddress(); // the others join the port the first one got
                }
            } catch (Exception e) {
                throw new IOException("tunnel '" + service + "': cannot listen on " + listen + ": " + e.getMessage(), e);
            }
        }
        bound.add(at);
    }

    private ChannelHandler codec(QuicSslContext ssl, int idLength, QuicConnectionIdGenerator ids) {
        QuicServerCodecBuilder b = new QuicServerCodecBuilder()
                .sslContext(ssl)
                .localConnectionIdLength(idLength)
                .connectionIdAddressGenerator(ids)
                .tokenHandler(null); // no Retry round trip; QUIC's 3x limit bounds what a spoofed Initial gets back
        QuicSettings.apply(b, config, 1);
        SegmentedDatagramPacketAllocator segments = QuicSettings.segments(context.transport());
        if (segments != null) {
            b.option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, segments);
        }
        return b.handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel ch) {
                        Link link = new Link("tunnel '" + service + "' connection from " + ch.remoteSocketAddress());
                        ch.attr(LINK).set(link);
                        ch.pipeline().addLast(link.new Connection(false));
                        if (unauthenticated.incrementAndGet() > config.maxUnauthenticated()) {
                            unauthenticated.decrementAndGet();
                            refuseOverCap(ch);
                            return;
                        }
                        java.util.concurrent.atomic.AtomicBoolean counted = new java.util.concurrent.atomic.AtomicBoolean(true);
                        Runnable release = () -> {
                            if (counted.compareAndSet(true, false)) {
                                unauthenticated.decrementAndGet();
                            }
                        };
                        link.onAuthenticated(release);
                        ch.closeFuture().addListener(f -> release.run());
                    }
                })
                .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel ch) {
                        ch.pipeline().addLast(new Handshake.Server(service, sessions, table, random));
                    }
                })
                .build();
    }

    /** Connections that have not proved a token yet, now. */
    int unauthenticated() {
        return unauthenticated.get();
    }

    /** Connections closed since the start because too many had not authenticated yet. */
    long refusedOverCap() {
        return overCap.sum();
    }

    /**
     * Closes a connection beyond {@code max_unauthenticated} as soon as its QUIC handshake is
     * done, with a reason its client logs; the first of a burst is logged here too.
     */
    private void refuseOverCap(QuicChannel ch) {
        overCap.increment();
        if (overCap.sum() == 1 || overCap.sum() % 1000 == 0) {
            log.info("tunnel '{}': {} connections are waiting to authenticate (max_unauthenticated); "
                    + "refusing more ({} so far)", service, config.maxUnauthenticated(), overCap.sum());
        }
        ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
                Link.close(ch, Link.CLOSE_REFUSED, "busy: too many connections awaiting authentication");
            }
        });
        if (ch.isActive()) {
            Link.close(ch, Link.CLOSE_REFUSED, "busy: too many connections awaiting authentication");
        }
    }

    void stop() {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly();
        }
        channels.clear();
    }
}
