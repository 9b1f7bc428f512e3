package dev.portico.tunnel;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.net.HostPort;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
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
        QuicSslContext ssl = QuicSslContextBuilder.forServer(identity.key().toFile(), null, identity.cert().toFile())
                .applicationProtocols(QuicSettings.ALPN).build();
        for (HostPort listen : config.listen()) {
            bind(listen, ssl);
        }
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
        return b.handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel ch) {
                        Link link = new Link("tunnel '" + service + "' connection from " + ch.remoteSocketAddress());
                        ch.attr(LINK).set(link);
                        ch.pipeline().addLast(link.new Connection(false));
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

    void stop() {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly();
        }
        channels.clear();
    }
}
