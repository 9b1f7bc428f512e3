package dev.portico.lb;

import dev.portico.core.transport.LinuxNet;
import dev.portico.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.portico.lb.LbHarness.readLine;
import static dev.portico.lb.LbHarness.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * SNI routing ({@code sni_routes}) end to end: real TLS clients ({@code openssl s_client} and the
 * JDK's {@code SSLSocket}) through the balancer to real TLS backends ({@link TlsBackend}), which
 * answer with their group and the server name their own TLS stack read, so every answer proves
 * the handshake went through untouched. Runs on the native engine where it is available
 * ({@link SniRoutingNettyTest} repeats it on the Netty path).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SniRoutingTest {

    private final LbHarness h = new LbHarness();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        h.close();
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private TlsBackend tls(String group, boolean proxyV1) throws IOException {
        TlsBackend b = TlsBackend.start(group, proxyV1);
        closing.add(b);
        return b;
    }

    /** Groups a and b of TLS backends and c as given; {@code *.a.test} to a, {@code b.test} to b, the rest to c. */
    private LbConfig.Builder routes(String cAddress) throws IOException {
        return LbHarness.config().health("none")
                .group("a", tls("a", false).address())
                .group("b", tls("b", false).address())
                .group("c", cAddress)
                .sniRoute("*.a.test", "a").sniRoute("B.test", "b").sniRoute("default", "c");
    }

    private boolean expectNative() {
        return LinuxNet.available() && h.transport.kind() != Transport.Kind.NIO
                && System.getProperty("portico.lb.engine") == null;
    }

    @Test
    void javaClientsGoByExactNameThenWildcardThenDefault() throws Exception {
        h.start(routes(tls("c", false).address()).build());
        assertThat(h.lb.nativePerListener()).containsExactly(expectNative());
        int port = h.lb.port();

        assertThat(java(port, "x.a.test")).isEqualTo("group=a sni=x.a.test proxy=-");
        assertThat(java(port, "B.Test")).isEqualTo("group=b sni=B.Test proxy=-");
        // A wildcard covers one label: not two, and not the name itself.
        assertThat(java(port, "x.y.a.test")).isEqualTo("group=c sni=x.y.a.test proxy=-");
        assertThat(java(port, "a.test")).isEqualTo("group=c sni=a.test proxy=-");
        assertThat(java(port, null)).isEqualTo("group=c sni=- proxy=-");

        LbMetrics m = h.lb.metrics();
        assertThat(m.sniRoutedTotal("*.a.test")).isEqualTo(1);
        assertThat(m.sniRoutedTotal("b.test")).isEqualTo(1);
        assertThat(m.sniRoutedTotal("default")).isEqualTo(3);
        assertThat(m.sniFallbackTotal("invalid") + m.sniFallbackTotal("timeout")).isZero();
        assertThat(h.meters.get("portico_lb_sni_routed").tag("route", "*.a.test").tag("group", "a").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void theLastHostOfARoutedGroupStaysAndTheRunningConfigKeepsTheRoutes() throws Exception {
        h.start(routes(tls("c", false).address()).build());
        String onlyB = h.lb.groups().get("b").pool().members().get(0).name();
        assertThatThrownBy(() -> h.lb.removeBackend("b", onlyB)).hasMessageContaining("sni_routes");
        LbConfig running = h.lb.runningConfig();
        assertThat(running.sniRoutes()).containsOnlyKeys("*.a.test", "b.test", "default");
        assertThat(running).isEqualTo(h.lb.runningConfig().toBuilder().build());
    }

    @Test
    void opensslClientsCompleteTheirHandshakeThroughTheBalancer() throws Exception {
        h.start(routes(tls("c", false).address()).build());
        int port = h.lb.port();

        assertThat(openssl(port, "-servername", "www.a.test")).contains("group=a sni=www.a.test");
        assertThat(openssl(port, "-servername", "b.test", "-tls1_2")).contains("group=b sni=b.test");
        assertThat(openssl(port, "-noservername")).contains("group=c sni=-");
        // A hello over two TLS records: 512-byte fragments and a long ALPN list.
        StringBuilder alpn = new StringBuilder("h2,http/1.1");
        for (int i = 1; i <= 40; i++) {
            alpn.append(",proto-").append(i).append("-x");
        }
        assertThat(openssl(port, "-servername", "x.a.test", "-max_send_frag", "512", "-alpn", alpn.toString()))
                .contains("group=a sni=x.a.test");
    }

    @Test
    void theHelloGoesFirstWhenEveryByteIsSpliced() throws Exception {
        h.start(routes(tls("c", false).address()).splice(Splice.ON).build());
        for (int i = 0; i < 3; i++) {
            assertThat(java(h.lb.port(), "s" + i + ".a.test")).isEqualTo("group=a sni=s" + i + ".a.test proxy=-");
        }
        if (expectNative()) {
            assertThat(h.lb.metrics().splicedTotal()).isEqualTo(6); // both directions of each
        }
    }

    @Test
    void aHelloSentOneBytePerSegmentIsRouted() throws Exception {
        h.start(routes(tls("c", false).address()).build());
        // The relay waits until the balancer has accepted its connection, so the hello cannot be
        // queued whole before the balancer's first read.
        try (Dribble d = new Dribble(h.lb.port(),
                () -> await().atMost(Duration.ofSeconds(5)).until(() -> h.lb.openConnections() == 1))) {
            // 200 ALPN names make a hello of about 2.7 KiB, which outgrows the first buffers.
            SSLSocket s = (SSLSocket) TlsBackend.clientContext().getSocketFactory()
                    .createSocket(TestBackend.LOOPBACK, d.port());
            String[] alpn = new String[200];
            for (int i = 0; i < alpn.length; i++) {
                alpn[i] = "proto-" + (1000 + i);
            }
            assertThat(handshake(s, "slow.a.test", alpn)).isEqualTo("group=a sni=slow.a.test proxy=-");
            assertThat(d.dribbled).isEqualTo(2048);
        }
    }

    @Test
    void bytesThatAreNotTlsGoToTheDefaultGroupUntouched() throws Exception {
        TestBackend echo = h.backend("c", TestBackend.Mode.ECHO);
        h.start(routes(echo.address()).build());
        try (Socket s = h.connect()) {
            send(s, "GET / HTTP/1.0\n");
            assertThat(readLine(s)).isEqualTo("c");
            assertThat(readLine(s)).isEqualTo("GET / HTTP/1.0");
        }
        assertThat(h.lb.metrics().sniFallbackTotal("invalid")).isEqualTo(1);
        assertThat(h.meters.get("portico_lb_sni_fallback").tag("reason", "invalid").tag("action", "default")
                .counter().count()).isEqualTo(1.0);
    }

    @Test
    void bytesThatAreNotTlsAreClosedWhenSoConfigured() throws Exception {
        TestBackend echo = h.backend("c", TestBackend.Mode.ECHO);
        h.start(routes(echo.address()).sniFallback(SniFallback.CLOSE).build());
        try (Socket s = h.connect()) {
            send(s, "\u0016\u0003\u0001\u0000\u0000"); // a handshake record of length 0
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(h.lb.metrics().sniFallbackTotal("invalid")).isEqualTo(1);
        assertThat(echo.accepted.get()).isZero();
        // TLS clients are still routed.
        assertThat(java(h.lb.port(), "b.test")).isEqualTo("group=b sni=b.test proxy=-");
    }

    @Test
    void aClientSilentPastTheHelloTimeoutGoesToTheDefaultGroup() throws Exception {
        TestBackend echo = h.backend("c", TestBackend.Mode.ECHO);
        h.start(routes(echo.address()).clientHelloTimeout(Duration.ofMillis(300)).build());
        try (Socket s = h.connect()) {
            assertThat(readLine(s)).isEqualTo("c"); // dialed once the timeout ran out
            send(s, "late\n");
            assertThat(readLine(s)).isEqualTo("late");
        }
        assertThat(h.lb.metrics().sniFallbackTotal("timeout")).isEqualTo(1);
    }

    @Test
    void aClientSilentPastTheHelloTimeoutIsClosedWhenSoConfigured() throws Exception {
        TestBackend echo = h.backend("c", TestBackend.Mode.ECHO);
        h.start(routes(echo.address()).clientHelloTimeout(Duration.ofMillis(300))
                .sniFallback(SniFallback.CLOSE).build());
        try (Socket s = h.connect()) {
            send(s, "\u0016\u0003\u0001"); // a hello that never goes on
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(h.lb.metrics().sniFallbackTotal("timeout")).isEqualTo(1);
        assertThat(echo.accepted.get()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> h.lb.openConnections() == 0);
    }

    @Test
    void aClientEndingItsSideMidHelloIsClosed() throws Exception {
        TestBackend echo = h.backend("c", TestBackend.Mode.ECHO);
        h.start(routes(echo.address()).build());
        try (Socket s = h.connect()) {
            send(s, "\u0016\u0003\u0001\u0001\u0000\u0001");
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(h.lb.metrics().sniFallbackTotal("invalid")).isEqualTo(1);
        assertThat(h.meters.get("portico_lb_sni_fallback").tag("reason", "invalid").tag("action", "close")
                .counter().count()).isEqualTo(1.0);
        assertThat(echo.accepted.get()).isZero();
    }

    @Test
    void theProxyHeaderTowardBackendsComesBeforeTheHello() throws Exception {
        h.start(LbHarness.config().health("none").proxyProtocol(ProxyProtocol.V1)
                .group("a", tls("a", true).address())
                .group("c", tls("c", true).address())
                .sniRoute("*.a.test", "a").sniRoute("default", "c").build());
        String answer = java(h.lb.port(), "p.a.test");
        assertThat(answer).startsWith("group=a sni=p.a.test proxy=PROXY_TCP4_127.0.0.1_127.0.0.1_")
                .endsWith("_" + h.lb.port());
    }

    @Test
    void aTrustedProxysClientIsRoutedByTheHelloAfterItsHeader() throws Exception {
        h.start(LbHarness.config().health("none").proxyProtocol(ProxyProtocol.V1).acceptProxy("127.0.0.0/8")
                .group("b", tls("b", true).address())
                .group("c", tls("c", true).address())
                .sniRoute("b.test", "b").sniRoute("default", "c").build());
        try (Socket plain = h.connect()) {
            send(plain, "PROXY TCP4 192.0.2.7 198.51.100.1 5555 443\r\n");
            SSLSocket s = (SSLSocket) TlsBackend.clientContext().getSocketFactory()
                    .createSocket(plain, "127.0.0.1", h.lb.port(), true);
            assertThat(handshake(s, "b.test")).isEqualTo("group=b sni=b.test proxy=PROXY_TCP4_192.0.2.7_198.51.100.1_5555_443");
        }
    }

    // ---- clients ---------------------------------------------------------------------------------

    /** One TLS exchange with the JDK's client; {@code sni} null sends no server name. */
    static String java(int port, String sni) throws IOException {
        SSLSocket s = (SSLSocket) TlsBackend.clientContext().getSocketFactory()
                .createSocket(TestBackend.LOOPBACK, port);
        return handshake(s, sni);
    }

    private static String handshake(SSLSocket s, String sni) throws IOException {
        return handshake(s, sni, new String[] {"h2", "http/1.1"});
    }

    private static String handshake(SSLSocket s, String sni, String[] alpn) throws IOException {
        try (s) {
            s.setSoTimeout(10_000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
            p.setApplicationProtocols(alpn);
            s.setSSLParameters(p);
            s.startHandshake();
            return readLine(s);
        }
    }

    /** One exchange with {@code openssl s_client}, verifying the backend's certificate; its output. */
    static String openssl(int port, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-quiet", "-verify_return_error", "-CAfile", TlsBackend.certificatePem().toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("openssl exits").isTrue();
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * A relay in front of the balancer that passes a client's first 2 KiB on one byte per write
     * (TCP_NODELAY: a segment each, 0.1 ms apart, as a slow client sends them), the rest as it
     * comes, and everything back as it comes. It runs {@code connected} once it has connected
     * to the balancer, before the first byte.
     */
    static final class Dribble implements AutoCloseable {
        private final ServerSocket server = new ServerSocket();
        volatile int dribbled;

        Dribble(int target, Runnable connected) throws IOException {
            server.bind(new InetSocketAddress(TestBackend.LOOPBACK, 0), 1);
            Thread.ofVirtual().name("dribble").start(() -> {
                try (Socket c = server.accept(); Socket lb = new Socket(TestBackend.LOOPBACK, target)) {
                    lb.setTcpNoDelay(true);
                    connected.run();
                    Thread back = Thread.ofVirtual().start(() -> {
                        try {
                            lb.getInputStream().transferTo(c.getOutputStream());
                            c.shutdownOutput();
                        } catch (IOException e) {
                            // the test's client went away
                        }
                    });
                    InputStream in = c.getInputStream();
                    OutputStream out = lb.getOutputStream();
                    byte[] buf = new byte[8192];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        int i = 0;
                        for (; i < n && dribbled < 2048; i++) {
                            out.write(buf[i]);
                            out.flush();
                            dribbled++;
                            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                        }
                        out.write(buf, i, n - i);
                    }
                    lb.shutdownOutput();
                    back.join();
                } catch (IOException e) {
                    // closed by the test
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
