package dev.portico.proxy;

import ch.qos.logback.classic.Level;
import dev.portico.core.net.HostPort;
import dev.portico.core.tls.ClientTls;
import dev.portico.core.tls.ClientTlsSettings;
import dev.portico.testing.BackendCerts;
import dev.portico.testing.LogCapture;
import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The proxy's TLS to its backends: real JDK TLS servers with certificates made here. */
@Timeout(30)
class UpstreamTlsTest {

    private final ProxyHarness h = new ProxyHarness();
    private final BackendCerts.Authority ca = BackendCerts.authority("backends CA");

    @TempDir
    Path dir;

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private Path caFile() {
        return ca.writeCert(dir.resolve("ca.pem"));
    }

    private Origin tlsOrigin(String name, BackendCerts.Issued cert) throws Exception {
        Origin o = Origin.tls(name, cert.serverContext(null), s -> { });
        h.origins.add(o);
        return o;
    }

    private static PoolSpec pool(ClientTlsSettings tls, Origin... origins) {
        return ProxyHarness.pool("roundrobin", origins).withTls(tls);
    }

    private Backend backend(Origin o) {
        return h.proxy.pools().get("*").find(o.address()).orElseThrow();
    }

    @Test
    void getAndPostGoOverOneReusedTlsConnection() throws Exception {
        Origin o = tlsOrigin("secure", ca.server("localhost", "127.0.0.1"));
        h.start(ProxyHarness.config().pool("*", pool(ClientTlsSettings.builder().ca(caFile()).build(), o)).build());
        try (ProxyHarness.Client c = h.client()) {
            Http.Response get = c.get("x", "/one");
            assertThat(get.status()).isEqualTo(200);
            assertThat(get.text()).isEqualTo("secure");
            c.send("POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
            Http.Response post = c.read(false);
            assertThat(post.status()).isEqualTo(200);
            assertThat(c.get("x", "/three").status()).isEqualTo(200);
        }
        assertThat(o.seen).hasSize(3);
        assertThat(o.seen.get(1).bodyBytes()).isEqualTo(11);
        assertThat(o.connections.get()).isEqualTo(1);
        assertThat(h.proxy.upstreamConnectionsOpened()).isEqualTo(1);
        assertThat(h.proxy.upstreamConnectionsReused()).isEqualTo(2);
        // An IP literal sends no SNI; the certificate's IP address is what is verified.
        assertThat(o.sni).containsExactly("");
    }

    @Test
    void aCertificateFromAnotherCaIsA502AndTheBackendIsDownWithUnknownCa() throws Exception {
        Origin o = tlsOrigin("stranger", BackendCerts.authority("other CA").server("127.0.0.1"));
        h.start(ProxyHarness.config().pool("*", pool(ClientTlsSettings.builder().ca(caFile()).build(), o)).build());
        assertThat(h.get("x", "/").status()).isEqualTo(502);
        assertThat(o.seen).isEmpty();
        await().until(() -> backend(o).health() == HealthState.DOWN);
        assertThat(backend(o).healthReason()).isEqualTo("connect failed: TLS handshake failed: unknown CA");
    }

    @Test
    void anExpiredCertificateIsNamedSo() throws Exception {
        Origin o = tlsOrigin("expired", ca.expiredServer("127.0.0.1"));
        h.start(ProxyHarness.config().pool("*", pool(ClientTlsSettings.builder().ca(caFile()).build(), o)).build());
        assertThat(h.get("x", "/").status()).isEqualTo(502);
        await().until(() -> backend(o).health() == HealthState.DOWN);
        assertThat(backend(o).healthReason()).endsWith(": certificate has expired");
    }

    @Test
    void aCertificateForAnotherNameIsANameMismatch() throws Exception {
        Origin o = tlsOrigin("misnamed", ca.server("other.test"));
        h.start(ProxyHarness.config().pool("*", pool(ClientTlsSettings.builder().ca(caFile()).build(), o)).build());
        assertThat(h.get("x", "/").status()).isEqualTo(502);
        await().until(() -> backend(o).health() == HealthState.DOWN);
        assertThat(backend(o).healthReason()).endsWith(": name mismatch");
    }

    @Test
    void aPoolsHttpHealthCheckRunsOverTheBackendsTls() throws Exception {
        Origin good = tlsOrigin("good", ca.server("127.0.0.1"));
        Origin stranger = tlsOrigin("stranger", BackendCerts.authority("other CA").server("127.0.0.1"));
        PoolSpec spec = new PoolSpec(List.of(HostPort.parse(good.address()), HostPort.parse(stranger.address())),
                "roundrobin", dev.portico.upstream.health.HealthCheckConfig.parse("http:/health"))
                .withTls(ClientTlsSettings.builder().ca(caFile()).build());
        h.start(ProxyHarness.config().pool("*", spec).build());
        await().until(() -> backend(good).health() == HealthState.UP);
        assertThat(backend(good).healthReason()).isEqualTo("first check passed: http /health: status 200");
        assertThat(good.seen.getFirst().head().line()).isEqualTo("GET /health HTTP/1.1");
        await().until(() -> backend(stranger).health() == HealthState.DOWN);
        assertThat(backend(stranger).healthReason()).isEqualTo("check failed 3/3: https " + stranger.address()
                + ": TLS handshake failed: unknown CA");
    }

    @Test
    void aHandshakeThatNeverEndsIsAConnectTimeout() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            // Accepts (the kernel does) and never answers the ClientHello.
            HostPort address = HostPort.parse("127.0.0.1:" + silent.getLocalPort());
            h.start(ProxyHarness.config().connectTimeout(java.time.Duration.ofMillis(500))
                    .pool("*", PoolSpec.of(address).withTls(ClientTlsSettings.builder().ca(caFile()).build())).build());
            assertThat(h.get("x", "/").status()).isEqualTo(504);
            Backend b = h.proxy.pools().get("*").find(address.toString()).orElseThrow();
            await().until(() -> b.health() == HealthState.DOWN);
            assertThat(b.healthReason()).startsWith("connect failed: TLS handshake failed: handshake timed out");
        }
    }

    @Test
    void theConfiguredSniIsSentAndVerified() throws Exception {
        Origin o = tlsOrigin("named", ca.server("api.internal"));
        h.start(ProxyHarness.config().pool("*", pool(ClientTlsSettings.builder().ca(caFile()).sni("api.internal")
                .build(), o)).build());
        assertThat(h.get("x", "/").text()).isEqualTo("named");
        assertThat(o.sni).containsExactly("api.internal");
    }

    @Test
    void aBackendGivenByNameIsVerifiedAgainstThatName() throws Exception {
        // The certificate names only "localhost": it passes because the host name is verified.
        // A name without a dot is not sent as SNI (neither engine sends one); dotted names are.
        Origin o = tlsOrigin("byname", ca.server("localhost"));
        h.start(ProxyHarness.config().pool("*", new PoolSpec(List.of(HostPort.parse("localhost:" + o.port())),
                "roundrobin", dev.portico.upstream.health.HealthCheckConfig.parse("none"))
                .withTls(ClientTlsSettings.builder().ca(caFile()).build())).build());
        assertThat(h.get("x", "/").text()).isEqualTo("byname");
        assertThat(o.sni).containsExactly("");
    }

    @Test
    void verifyOffTalksToASelfSignedBackendAndSaysSoOnce() throws Exception {
        Origin o = tlsOrigin("self", BackendCerts.selfSigned("whatever.test"));
        try (LogCapture log = new LogCapture(ClientTls.class.getName(), Level.WARN)) {
            h.start(ProxyHarness.config().pool("*", pool(ClientTlsSettings.builder().verify(false).build(), o)).build());
            assertThat(log.messages(Level.WARN)).singleElement().asString().contains("proxy 'test'")
                    .contains("tls.verify: false");
        }
        try (ProxyHarness.Client c = h.client()) {
            assertThat(c.get("x", "/1").text()).isEqualTo("self");
            assertThat(c.get("x", "/2").text()).isEqualTo("self");
        }
        assertThat(o.connections.get()).isEqualTo(1);
    }

    @Test
    void aBackendThatRequiresAClientCertificateGetsTheConfiguredOne() throws Exception {
        Origin o = Origin.tls("mtls", ca.server("127.0.0.1").serverContext(ca.cert()),
                s -> s.setNeedClientAuth(true));
        h.origins.add(o);
        BackendCerts.Issued client = ca.client("proxy");
        ClientTlsSettings tls = ClientTlsSettings.builder().ca(caFile())
                .clientCertificate(client.writeCert(dir.resolve("proxy.pem")), client.writeKey(dir.resolve("proxy.key")))
                .build();
        h.start(ProxyHarness.config().pool("*", pool(tls, o)).build());
        assertThat(h.get("x", "/").text()).isEqualTo("mtls");
        assertThat(o.failedHandshakes.get()).isZero();
    }

    @Test
    void withoutAClientCertificateTheBackendsRefusalIsNamed() throws Exception {
        Origin o = Origin.tls("mtls", ca.server("127.0.0.1").serverContext(ca.cert()),
                s -> s.setNeedClientAuth(true));
        h.origins.add(o);
        h.start(ProxyHarness.config().pool("*", pool(ClientTlsSettings.builder().ca(caFile()).build(), o)).build());
        assertThat(h.get("x", "/").status()).isEqualTo(502);
        await().until(() -> backend(o).stats().lastFailure().isPresent());
        assertThat(backend(o).stats().lastFailure().orElseThrow().reason())
                .contains("the backend requires a client certificate");
        assertThat(o.seen).isEmpty();
    }

    @Test
    void aFailedHandshakeIsRetriedOnTheNextBackend() throws Exception {
        Origin bad = tlsOrigin("bad", BackendCerts.authority("other CA").server("127.0.0.1"));
        Origin good = tlsOrigin("good", ca.server("127.0.0.1"));
        h.start(ProxyHarness.config().pool("*", pool(ClientTlsSettings.builder().ca(caFile()).build(), bad, good))
                .build());
        for (int i = 0; i < 4; i++) {
            // A POST too: nothing of it reached the failed backend, so it may go to the other.
            try (ProxyHarness.Client c = h.client()) {
                c.send("POST /p" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
                Http.Response r = c.read(false);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).isEqualTo("good");
            }
        }
        assertThat(bad.connections.get()).isGreaterThanOrEqualTo(1);
        assertThat(bad.seen).isEmpty();
        assertThat(backend(bad).health()).isEqualTo(HealthState.DOWN);
        assertThat(backend(bad).stats().retries()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aWebSocketUpgradeIsRelayedThroughATlsBackend() throws Exception {
        Origin echo = Origin.tls("echo", ca.server("127.0.0.1").serverContext(null), s -> { }, (req, in, out) -> {
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + req.head().get("sec-websocket-key") + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                out.flush();
            }
            return false;
        });
        h.origins.add(echo);
        h.start(ProxyHarness.config().pool("*", pool(ClientTlsSettings.builder().ca(caFile()).build(), echo)).build());
        try (ProxyHarness.Client c = h.client()) {
            c.send("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            assertThat(Http.head(c.in).status()).isEqualTo(101);
            for (int i = 0; i < 3; i++) {
                String msg = "frame " + i;
                c.send(msg);
                assertThat(new String(c.in.readNBytes(msg.length()), StandardCharsets.ISO_8859_1)).isEqualTo(msg);
            }
        }
    }
}
