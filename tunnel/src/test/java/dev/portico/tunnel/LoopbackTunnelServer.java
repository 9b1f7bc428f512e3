package dev.portico.tunnel;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A {@link TunnelServer} named {@code wan} on loopback with one session, {@code warp1}, and a
 * QUIC client endpoint made with the same settings: for tests of what happens up to and just
 * after the QUIC handshake. No device is made (nothing authenticates), so it needs no root.
 */
final class LoopbackTunnelServer implements AutoCloseable {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final EventLoopGroup loops;
    private final ExecutorService blocking;
    private final TunnelServer server;
    private final Channel udp;
    private final InetSocketAddress address;
    private final List<QuicChannel> clients = new ArrayList<>();

    /** The config these tests start from: session {@code warp1} (10.0.0.1 to 10.0.0.2), listening on port 0. */
    static TunnelConfig.Builder config() {
        SessionConfig s = SessionConfig.builder("warp1").local(InetAddress.ofLiteral("10.0.0.1"))
                .peer(InetAddress.ofLiteral("10.0.0.2")).token("t").build();
        return TunnelConfig.builder().listen(HostPort.parse("127.0.0.1:0")).session(s);
    }

    /** Starts the server with {@code config}, its identity under {@code stateDir}, and binds the client's UDP socket. */
    LoopbackTunnelServer(Path stateDir, TunnelConfig config) throws Exception {
        Transport transport = Transport.select(null);
        loops = transport.newGroup(1, "loopback-tunnel");
        blocking = Executors.newVirtualThreadPerTaskExecutor();
        ServiceContext context = new ServiceContext(transport, loops, meters, Clock.systemUTC(), blocking);
        Map<String, SessionMetrics> metrics = new LinkedHashMap<>();
        metrics.put("warp1", new SessionMetrics("wan", "warp1", meters));
        SessionTable table = new SessionTable("wan", metrics, blocking, new DeviceSetup("ip"), 1000,
                FrameCodec.datagramLimit(config.udpPayload()));
        server = new TunnelServer("wan", config, context, table, ServerIdentity.ensure(stateDir, "wan", Clock.systemUTC()));
        server.start();
        address = server.bound().getFirst();

        QuicSslContext ssl = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocols(QuicSettings.ALPN).build();
        udp = new Bootstrap().group(loops).channelFactory(transport.datagramChannelFactory(address.getAddress()))
                .handler(QuicSettings.apply(new QuicClientCodecBuilder().sslContext(ssl), config, 0).build())
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    TunnelServer server() {
        return server;
    }

    /** A new QUIC connection to the server, handshake done; closed with this. */
    QuicChannel connect() throws Exception {
        QuicChannel q = QuicChannel.newBootstrap(udp).handler(new ChannelInboundHandlerAdapter()).remoteAddress(address)
                .connect().get(10, TimeUnit.SECONDS);
        clients.add(q);
        return q;
    }

    @Override
    public void close() {
        clients.forEach(c -> c.close().awaitUninterruptibly(5, TimeUnit.SECONDS));
        udp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        server.stop();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        blocking.shutdownNow();
    }
}
