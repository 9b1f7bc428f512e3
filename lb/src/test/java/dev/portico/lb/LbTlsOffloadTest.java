package dev.portico.lb;

import dev.portico.core.tls.TlsSettings;
import dev.portico.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS offload: the lb terminates TLS and relays plain bytes to its backends, half-close and PROXY header included. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbTlsOffloadTest {

    @TempDir
    Path dir;

    private final LbHarness h = new LbHarness();

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    private TestPki pki() {
        return new TestPki(dir.resolve("pki"), "lb-test-ca");
    }

    private static TlsSettings tls(TestPki.Issued cert) {
        return TlsSettings.builder().certificate(cert.cert(), cert.key()).build();
    }

    private SSLSocket tlsClient(TestPki pki) throws Exception {
        SSLSocket s = (SSLSocket) pki.clientContext().getSocketFactory()
                .createSocket(TestBackend.LOOPBACK, h.lb.port());
        s.setSoTimeout(10_000);
        s.startHandshake();
        return s;
    }

    @Test
    void aTlsClientReachesAPlainBackendBothWaysAndItsCloseNotifyEndsTheConnection() throws Exception {
        TestPki pki = pki();
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(a.address()).tls(tls(pki.server("lb", "127.0.0.1"))).build());

        try (SSLSocket s = tlsClient(pki)) {
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
            assertThat(LbHarness.readLine(s)).isEqualTo("a");
            LbHarness.send(s, "ping\n");
            assertThat(LbHarness.readLine(s)).isEqualTo("ping");
            // close_notify: TLS half-close is not relayed (as nginx's stream module with
            // proxy_half_close off): the connection ends both ways and the backend is let go
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> h.lb.backend("main", a.address()).stats().open() == 0);
        assertThat(h.lb.endpoints().getFirst()).contains("tcp://127.0.0.1:");
    }

    @Test
    void aLargeStreamFromTheBackendArrivesIntactThroughTls() throws Exception {
        TestPki pki = pki();
        TestBackend src = h.backend("src", TestBackend.Mode.SOURCE);
        src.sourceBytes = 8L * 1024 * 1024 + 17;
        h.start(LbHarness.config().backend(src.address()).tls(tls(pki.server("lb", "127.0.0.1"))).build());

        try (SSLSocket s = tlsClient(pki)) {
            LbHarness.send(s, "x");
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long offset = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    assertThat(buf[i]).as("byte %d", offset + i).isEqualTo(TestBackend.pattern(offset + i));
                }
                offset += n;
            }
            assertThat(offset).isEqualTo(src.sourceBytes);
        }
    }

    @Test
    void thePlainSideCarriesAProxyHeaderWithTheTlsClientsAddress() throws Exception {
        TestPki pki = pki();
        try (ServerSocket backend = new ServerSocket()) {
            backend.bind(new InetSocketAddress(TestBackend.LOOPBACK, 0));
            CompletableFuture<String> firstLine = CompletableFuture.supplyAsync(() -> {
                try (Socket c = backend.accept()) {
                    c.setSoTimeout(10_000);
                    String line = LbHarness.readLine(c);
                    String payload = LbHarness.readLine(c);
                    return line + "|" + payload;
                } catch (Exception e) {
                    return "failed: " + e;
                }
            });
            h.start(LbHarness.config().backend("127.0.0.1:" + backend.getLocalPort()).health("none")
                    .proxyProtocol(ProxyProtocol.V1).tls(tls(pki.server("lb", "127.0.0.1"))).build());
            try (SSLSocket s = tlsClient(pki)) {
                LbHarness.send(s, "hello\n");
                String got = firstLine.get(20, TimeUnit.SECONDS);
                assertThat(got).startsWith("PROXY TCP4 127.0.0.1 127.0.0.1 " + s.getLocalPort() + " " + h.lb.port())
                        .endsWith("|hello");
            }
        }
    }

    @Test
    void plainBytesOnTheTlsPortGetNoRelay() throws Exception {
        TestPki pki = pki();
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(a.address()).health("none").tls(tls(pki.server("lb", "127.0.0.1"))).build());
        try (Socket s = LbHarness.connect(h.lb.port())) {
            s.getOutputStream().write(new byte[] {0x00, 0x01, 0x02, 0x7f, 0x10});
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).doesNotContain("a\n");
        }
        assertThat(a.accepted.get()).as("the backend saw no connection").isZero();
    }

    @Test
    void tlsOffloadRefusesWhatItCannotDo() {
        TlsSettings settings = TlsSettings.builder().selfSigned(true).build();
        assertThatThrownBy(() -> LbHarness.config().backend("127.0.0.1:9").protocol(LbProtocol.UDP).tls(settings).build())
                .hasMessageContaining("TCP services only");
        assertThatThrownBy(() -> LbHarness.config().backend("127.0.0.1:9").sniRoute("a.test", "main").tls(settings).build())
                .hasMessageContaining("use one or the other");
    }

    @Test
    void turningOffloadOnOrOffNeedsARestart() throws Exception {
        TestPki pki = pki();
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        LbConfig withTls = LbHarness.config().backend(a.address()).tls(tls(pki.server("lb", "127.0.0.1"))).build();
        h.start(withTls);
        assertThatThrownBy(() -> h.lb.reconfigure(withTls.toBuilder().tls(null).build()))
                .hasMessageContaining("without a restart");
        try (SSLSocket s = tlsClient(pki)) {
            assertThat(LbHarness.readLine(s)).isEqualTo("a");
        }
    }
}
