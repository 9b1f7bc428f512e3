package dev.portico.acme;

import dev.portico.testing.TestPki;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TlsAlpn01Handler} in front of a listener's own TLS handler, as a web or proxy listener
 * uses it: the ACME server's hello gets the validation certificate, every other hello reaches the
 * listener's handler untouched and gets the site's certificate.
 */
@Timeout(30)
class TlsAlpn01HandlerTest {

    static EventLoopGroup group;
    static Channel server;
    static PendingChallenges pending = new PendingChallenges();
    static TestCertificates.Pair site;
    static TlsAlpn01Certificates.ValidationCertificate validation;

    @BeforeAll
    static void start() throws Exception {
        TestCertificates.Pair ca = TestCertificates.ca("site CA", Duration.ofDays(30));
        site = TestCertificates.server(ca, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)),
                "a.portico.test");
        SslContext siteContext = SslContextBuilder.forServer(site.key().getPrivate(), site.certificate())
                .sslProvider(SslProvider.JDK)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2", "http/1.1"))
                .build();
        validation = ValidationCertificates.create("a.portico.test", new byte[32]);
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (pending.anyPending()) {
                            ch.pipeline().addLast(new TlsAlpn01Handler(pending));
                        }
                        ch.pipeline().addLast(siteContext.newHandler(ch.alloc()), new Greeter());
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    @AfterAll
    static void stop() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Says "site" once the site's handshake is done: proof the connection reached the listener's own handler. */
    static final class Greeter extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e && e.isSuccess()) {
                ctx.writeAndFlush(Unpooled.copiedBuffer("site\n", StandardCharsets.US_ASCII));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static SSLSocket connect(String sni, String... alpn) throws Exception {
        SSLContext ctx = TestPki.trustingAnything(); // the test looks at the certificate itself
        Socket plain = new Socket();
        plain.connect(server.localAddress(), 5000);
        plain.setSoTimeout(5000);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, sni, 443, true);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        p.setApplicationProtocols(alpn);
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    private static X509Certificate peer(SSLSocket s) throws Exception {
        return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }

    @Test
    void onlyTheAcmeOfferGetsTheValidationCertificate() throws Exception {
        pending.putTlsAlpn01("a.portico.test", validation);
        try {
            try (SSLSocket s = connect("a.portico.test", "acme-tls/1")) {
                assertThat(peer(s)).isEqualTo(validation.certificate());
                assertThat(s.getApplicationProtocol()).isEqualTo("acme-tls/1");
            }
            try (SSLSocket s = connect("a.portico.test", "h2", "http/1.1")) {
                assertThat(peer(s)).isEqualTo(site.certificate());
                assertThat(s.getApplicationProtocol()).isEqualTo("h2");
                assertThat(new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("site\n");
            }
            try (SSLSocket s = connect("a.portico.test")) {
                assertThat(peer(s)).isEqualTo(site.certificate());
                assertThat(new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("site\n");
            }
        } finally {
            pending.removeTlsAlpn01("a.portico.test");
        }
    }

    @Test
    void withNothingPendingEveryHelloGetsTheSiteCertificate() throws Exception {
        assertThat(pending.anyPending()).isFalse();
        try (SSLSocket s = connect("a.portico.test", "http/1.1")) {
            assertThat(peer(s)).isEqualTo(site.certificate());
            assertThat(new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("site\n");
        }
    }
}
