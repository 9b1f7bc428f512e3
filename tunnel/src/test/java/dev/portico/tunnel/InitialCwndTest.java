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
import io.netty.handler.codec.quic.QuicConnectionPathStats;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code initial_cwnd} reaches quiche: a connection made with the tunnel's settings starts with
 * that congestion window, not quiche's 10 packets, which left quiche's BBR near 160 KB on a 200 ms
 * path with 1% random loss. No device is involved, so this runs without root.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InitialCwndTest {

    @TempDir
    Path dir;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private EventLoopGroup loops;
    private ExecutorService blocking;
    private TunnelServer server;
    private Channel udp;
    private QuicChannel client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
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
    void theDefaultStartsNearOneMebibyteNotTenPackets() throws Exception {
        long cwnd = cwndAfterHandshake(config().build());
        assertThat(cwnd).isGreaterThanOrEqualTo(TunnelConfig.DEFAULT_INITIAL_CWND);
    }

    @Test
    void theConfiguredWindowIsWhatTheConnectionStartsWith() throws Exception {
        TunnelConfig c = config().initialCwnd(64 << 10).build();
        long cwnd = cwndAfterHandshake(c);
        long packets = QuicSettings.initialCwndPackets(c);
        assertThat(packets).isEqualTo(46); // 65536 / 1452, rounded up
        assertThat(cwnd).isBetween(packets * c.udpPayload(), 2 * packets * c.udpPayload());
    }

    private static TunnelConfig.Builder config() {
        SessionConfig s = SessionConfig.builder("warp1").local(InetAddress.ofLiteral("10.0.0.1"))
                .peer(InetAddress.ofLiteral("10.0.0.2")).token("t").build();
        return TunnelConfig.builder().listen(HostPort.parse("127.0.0.1:0")).session(s);
    }

    /** The client's congestion window once the handshake is done, before any data. */
    private long cwndAfterHandshake(TunnelConfig config) throws Exception {
        Transport transport = Transport.select(null);
        loops = transport.newGroup(1, "cwnd-test");
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
        client = QuicChannel.newBootstrap(udp).handler(new ChannelInboundHandlerAdapter()).remoteAddress(at)
                .connect().get(10, TimeUnit.SECONDS);
        QuicConnectionPathStats stats = (QuicConnectionPathStats) client.collectPathStats(0).get(10, TimeUnit.SECONDS);
        return stats.cwnd();
    }
}
