package dev.portico.core.tls;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ServerTls} on a bare Netty server, as any service adds TLS to a listener; and {@link SelfSigned}. */
@Timeout(60)
class ServerTlsTest {

    @TempDir
    Path dir;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @AfterEach
    void tearDown() throws Exception {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).await(5, java.util.concurrent.TimeUnit.SECONDS);
        blocking.shutdownNow();
    }

    private ServerTls.Environment env(TlsEngine engine) {
        return new ServerTls.Environment("test", engine, dir.resolve("state"), List.of("127.0.0.1"), List.of("http/1.1"),
                Clock.systemUTC(), group, blocking, meters);
    }

    /** A server whose http1 hook answers every request with "ok" and closes. */
    private Channel serve(ServerTls tls) throws Exception {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        tls.install(ch.pipeline(), p -> p.addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ReferenceCountUtil.release(msg);
                                ctx.writeAndFlush(Unpooled.copiedBuffer(
                                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                                        StandardCharsets.US_ASCII)).addListener(ChannelFutureListener.CLOSE);
                            }
                        }));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    private static SSLContext trusting(Path caPem) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static String get(Path ca, Channel server) throws Exception {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        try (HttpClient client = HttpClient.newBuilder().sslContext(trusting(ca)).version(HttpClient.Version.HTTP_1_1).build()) {
            return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    @Test
    void selfSignedOnBoringSsl() throws Exception {
        TlsEngine engine = TlsEngine.detect();
        assertThat(engine.name()).isEqualTo("boringssl");
        try (ServerTls tls = ServerTls.open(TlsSettings.builder().selfSigned(true).build(), env(engine))) {
            Channel server = serve(tls);
            assertThat(get(tls.selfSigned().caCert(), server)).isEqualTo("ok");
            assertThat(meters.get("portico_tls_engine").tag("engine", "boringssl").gauge().value()).isEqualTo(1.0);
            server.close().sync();
        }
    }

    @Test
    void theJdkEngineServesAndSaysWhatItIgnores() throws Exception {
        Files.createDirectories(dir);
        Files.write(dir.resolve("tickets.key"), new byte[48]);
        Logger logger = (Logger) LoggerFactory.getLogger(ServerTls.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        logger.setAdditive(false);
        try {
            SelfSigned.Issued issued = SelfSigned.ensure(dir.resolve("ss"), List.of("127.0.0.1"), Clock.systemUTC());
            TlsSettings settings = TlsSettings.builder().certificate(issued.cert(), issued.key())
                    .ticketKeyFile(dir.resolve("tickets.key")).build();
            try (ServerTls tls = ServerTls.open(settings, env(TlsEngine.jdk("chosen by the test")))) {
                assertThat(tls.map("127.0.0.1")).isInstanceOf(JdkSslContext.class);
                Channel server = serve(tls);
                assertThat(get(issued.caCert(), server)).isEqualTo("ok");
                server.close().sync();
            }
            assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage)
                    .anyMatch(m -> m.contains("tls.ticket_key_file is ignored by the JDK TLS engine (chosen by the test)"));
        } finally {
            logger.detachAppender(logs);
            logger.setAdditive(true);
        }
    }

    @Test
    void managedPairsServeTheirNamesOnceTheirFilesExistAndAReloadComes() throws Exception {
        ServerTls.Environment e = new ServerTls.Environment("test", TlsEngine.detect(), dir.resolve("state"),
                List.of("a.test", "b.test"), List.of("http/1.1"), Clock.systemUTC(), null, blocking, meters);
        try (ServerTls tls = ServerTls.open(TlsSettings.builder().selfSigned(true).build(), e)) {
            Path cert = dir.resolve("managed/a.pem");
            Path key = dir.resolve("managed/a.key");
            tls.managed(List.of(new TlsSettings.CertificateFiles(cert, key)));
            X509Certificate standIn = tls.entry("a.test").leaf();
            assertThat(ServerTls.dnsNames(standIn)).contains("a.test", "b.test");

            // a damaged pair is left out, and the stand-in keeps answering for its name
            Files.createDirectories(cert.getParent());
            Files.writeString(cert, "not a certificate");
            Files.writeString(key, "not a key");
            Logger logger = (Logger) LoggerFactory.getLogger(ServerTls.class);
            ListAppender<ILoggingEvent> logs = new ListAppender<>();
            logs.start();
            logger.addAppender(logs);
            logger.setAdditive(false);
            try {
                tls.reload();
            } finally {
                logger.detachAppender(logs);
                logger.setAdditive(true);
            }
            assertThat(tls.entry("a.test").leaf()).isEqualTo(standIn);
            assertThat(logs.list).filteredOn(ev -> ev.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage)
                    .anyMatch(m -> m.startsWith("test: " + cert + " is not served: "));

            SelfSigned.Issued issued = SelfSigned.ensure(dir.resolve("other"), List.of("a.test"), Clock.systemUTC());
            Files.copy(issued.key(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(issued.cert(), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            tls.reload();

            X509Certificate served = tls.entry("a.test").leaf();
            assertThat(served.getSerialNumber()).isEqualTo(PemFiles.certificates(issued.cert()).getFirst().getSerialNumber());
            assertThat(tls.entry("b.test").leaf()).as("a name without its pair keeps the stand-in")
                    .isEqualTo(standIn);
        }
    }

    @Test
    void selfSignedIsReusedAndRenewedWhenNamesChangeOrExpiryNears() throws Exception {
        Path ss = dir.resolve("ss");
        Clock now = Clock.fixed(Instant.parse("2026-06-01T00:00:00Z"), ZoneOffset.UTC);
        SelfSigned.Issued first = SelfSigned.ensure(ss, List.of("example.test", "0.0.0.0"), now);
        String ca = Files.readString(first.caCert());
        String cert = Files.readString(first.cert());
        var leaf = PemFiles.certificates(first.cert()).getFirst();
        assertThat(SelfSigned.names(leaf)).containsExactlyInAnyOrder("example.test", "localhost", "127.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(Files.getPosixFilePermissions(first.key())).hasSize(2);

        SelfSigned.ensure(ss, List.of("example.test"), now);
        assertThat(Files.readString(first.cert())).isEqualTo(cert);

        SelfSigned.ensure(ss, List.of("other.test"), now);
        assertThat(Files.readString(first.cert())).isNotEqualTo(cert);
        assertThat(Files.readString(first.caCert())).isEqualTo(ca);
        String renamed = Files.readString(first.cert());

        Clock later = Clock.offset(now, Duration.ofDays(340));
        SelfSigned.ensure(ss, List.of("other.test"), later);
        assertThat(Files.readString(first.cert())).isNotEqualTo(renamed);
        assertThat(Files.readString(first.caCert())).isEqualTo(ca);
    }

    /** Runs openssl s_client against {@code port}: an HTTP/1.0 request, then waits for the close. */
    private static String sClient(int port, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-ign_eof"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        });
        if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl s_client did not finish");
        }
        reader.join(5000);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void ticketsSurviveOneRotationNotTwo() throws Exception {
        try (ServerTls tls = ServerTls.open(TlsSettings.builder().selfSigned(true).build(), env(TlsEngine.detect()))) {
            Channel server = serve(tls);
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            Path sess = dir.resolve("sess.pem");
            assertThat(sClient(port, "-sess_out", sess.toString())).contains("New, TLSv1.3");
            tls.rotateTickets();
            assertThat(sClient(port, "-sess_in", sess.toString())).contains("Reused, TLSv1.3");
            tls.rotateTickets();
            assertThat(sClient(port, "-sess_in", sess.toString())).contains("New, TLSv1.3");
            server.close().sync();
        }
    }

    @Test
    void aNewTicketKeyFileEndsResumptionWithTheOldKeys() throws Exception {
        Files.createDirectories(dir);
        Path keys = dir.resolve("tickets.key");
        byte[] k = new byte[48];
        new java.security.SecureRandom().nextBytes(k);
        Files.write(keys, k);
        SelfSigned.Issued issued = SelfSigned.ensure(dir.resolve("ss"), List.of("127.0.0.1"), Clock.systemUTC());
        TlsSettings settings = TlsSettings.builder().certificate(issued.cert(), issued.key()).ticketKeyFile(keys).build();
        try (ServerTls tls = ServerTls.open(settings, env(TlsEngine.detect()))) {
            Channel server = serve(tls);
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            Path sess = dir.resolve("sess.pem");
            assertThat(sClient(port, "-sess_out", sess.toString())).contains("New, TLSv1.3");
            tls.rotateTickets(); // a key file is never rotated by Portico
            assertThat(sClient(port, "-sess_in", sess.toString())).contains("Reused, TLSv1.3");
            byte[] other = new byte[96];
            new java.security.SecureRandom().nextBytes(other);
            Files.write(keys, other);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(sClient(port, "-sess_in", sess.toString())).contains("New, TLSv1.3"));
            server.close().sync();
        }
    }
}
