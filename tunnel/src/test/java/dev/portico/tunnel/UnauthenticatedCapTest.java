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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code max_unauthenticated}: connections that have done the QUIC handshake but not proved a
 * token are held up to the cap; one more is closed at once, and a place freed by a closed
 * connection is taken by the next. No device is involved, so this runs without root.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnauthenticatedCapTest {

    @TempDir
    Path dir;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private EventLoopGroup loops;
    private ExecutorService blocking;
    private TunnelServer server;
    private Channel udp;
    private final List<QuicChannel> clients = new ArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(c -> c.close().awaitUninterruptibly(5, TimeUnit.SECONDS));
        if (udp != null) {
            udp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.stop();
        }
        if (loops != null) {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (blocking != null) {
            blocking.shutdownNow();
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedUntilAPlaceIsFree() throws Exception {
        SessionConfig s = SessionConfig.builder("warp1").local(InetAddress.ofLiteral("10.0.0.1"))
                .peer(InetAddress.ofLiteral("10.0.0.2")).token("t").build();
        TunnelConfig config = TunnelConfig.builder().listen(HostPort.parse("127.0.0.1:0")).session(s)
                .maxUnauthenticated(2).build();
        Transport transport = Transport.select(null);
        loops = transport.newGroup(1, "cap-test");
        blocking = Executors.newVirtualThreadPerTaskExecutor();
        ServiceContext context = new ServiceContext(transport, loops, meters, Clock.systemUTC(), blocking);
        Map<String, SessionMetrics> metrics = new LinkedHashMap<>();
        metrics.put("warp1", new SessionMetrics("wan", "warp1", meters));
        SessionTable table = new SessionTable("wan", metrics, blocking, new DeviceSetup("ip"), 1000,
                FrameCodec.datagramLimit(config.udpPayload()));
        server = new TunnelServer("wan", config, context, table, ServerIdentity.ensure(dir, "wan", Clock.systemUTC()));
        server.start();
        InetSocketAddress at = server.bound().getFirst();

        QuicSslContext ssl = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocols(QuicSettings.ALPN).build();
        udp = new Bootstrap().group(loops).channelFactory(transport.datagramChannelFactory(at.getAddress()))
                .handler(QuicSettings.apply(new QuicClientCodecBuilder().sslContext(ssl), config, 0).build())
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();

        QuicChannel first = connect(at);
        QuicChannel second = connect(at);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.unauthenticated() == 2);
        QuicChannel third = connect(at);
        await().atMost(Duration.ofSeconds(10)).until(() -> !third.isActive());
        assertThat(server.refusedOverCap()).isEqualTo(1);
        assertThat(first.isActive()).isTrue();
        assertThat(second.isActive()).isTrue();
        assertThat(server.unauthenticated()).isEqualTo(2);

        first.close().sync();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.unauthenticated() == 1);
        QuicChannel fourth = connect(at);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.unauthenticated() == 2);
        assertThat(fourth.isActive()).isTrue();
        assertThat(server.refusedOverCap()).isEqualTo(1);
    }

    private QuicChannel connect(InetSocketAddress at) throws Exception {
        QuicChannel q = QuicChannel.newBootstrap(udp).handler(new ChannelInboundHandlerAdapter()).remoteAddress(at)
                .connect().get(10, TimeUnit.SECONDS);
        clients.add(q);
        return q;
    }
}
