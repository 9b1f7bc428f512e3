package dev.portico.web.tls;

import dev.portico.core.net.HostPort;
import dev.portico.core.tls.TlsFrontDoor;
import dev.portico.core.transport.ListenSpec;
import dev.portico.core.tls.TlsSettings;
import dev.portico.testing.TestPki;
import dev.portico.web.http.RequestHandler;
import dev.portico.web.WebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What {@code openssl s_client} sees: SNI selection, ALPN, resumption, OCSP stapling, client certificates. */
@Timeout(120)
class TlsHandshakeTest {

    @TempDir
    Path dir;

    @Test
    void certificateChosenBySniExactThenWildcardThenDefault() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued first = h.pki.server("default", "default.test");
            TestPki.Issued exact = h.pki.server("exact", "www.example.test");
            TestPki.Issued wild = h.pki.server("wild", "*.example.test");
            h.start(h.web(TlsSettings.builder().certificate(first.cert(), first.key())
                    .certificate(wild.cert(), wild.key()).certificate(exact.cert(), exact.key()).build()).build());
            assertThat(h.server.tls().engine().name()).isEqualTo("boringssl");
            assertThat(h.sClient("-servername", "www.example.test").serial()).isEqualTo(exact.serial());
            assertThat(h.sClient("-servername", "img.example.test").serial()).isEqualTo(wild.serial());
            // one label only: x.y.example.test is not covered by *.example.test
            assertThat(h.sClient("-servername", "x.img.example.test").serial()).isEqualTo(first.serial());
            assertThat(h.sClient("-servername", "other.test").serial()).isEqualTo(first.serial());
            assertThat(h.sClient("-noservername").serial()).isEqualTo(first.serial());
        }
    }

    @Test
    void connectionsInTheirHandshakeCountTowardMaxConnections() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(h.web(TlsSettings.builder().certificate(cert.cert(), cert.key()).build())
                    .http(dev.portico.web.http.HttpOptions.defaults().withMaxConnections(2)).build());
            // Two clients that connect and never send a ClientHello hold both places.
            try (java.net.Socket a = silent(h.port()); java.net.Socket b = silent(h.port())) {
                await().atMost(Duration.ofSeconds(10)).until(() -> h.server.handshaking() == 2);
                // A third is closed at once, before any TLS byte.
                try (java.net.Socket c = silent(h.port())) {
                    assertThat(c.getInputStream().read()).isEqualTo(-1);
                }
                // A real client gets through once one place is free again.
                a.close();
                await().atMost(Duration.ofSeconds(10)).until(() -> h.server.handshaking() == 1);
                assertThat(h.get("/").statusCode()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> h.server.handshaking() == 0);
        }
    }

    private static java.net.Socket silent(int port) throws java.io.IOException {
        java.net.Socket s = new java.net.Socket();
        s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    @Test
    void aTlsListenerWithHttp2OffLeavesH2OutWhileItsNeighbourKeepsIt() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(dev.portico.web.WebConfig.builder().root(dir.resolve("site"))
                    .listen(ListenSpec.tls(new HostPort("127.0.0.1", 0)))
                    .listen(new ListenSpec(new HostPort("127.0.0.2", 0), true, ListenSpec.Http2.OFF))
                    .tls(TlsSettings.builder().certificate(cert.cert(), cert.key()).build()).build());
            int withH2 = h.server.listenAddresses().get(new HostPort("127.0.0.1", 0)).getPort();
            int withoutH2 = h.server.listenAddresses().get(new HostPort("127.0.0.2", 0)).getPort();
            assertThat(TlsHarness.sClient(withH2, "-alpn", "h2,http/1.1").out()).contains("ALPN protocol: h2");
            String off = TlsHarness.sClient("127.0.0.2", withoutH2, "-alpn", "h2,http/1.1").out();
            assertThat(off).contains("ALPN protocol: http/1.1");
        }
    }

    @Test
    void alpnOffersOnlyWhatTheServiceSpeaks() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(h.web(TlsSettings.builder().certificate(cert.cert(), cert.key()).build()).build());
            assertThat(h.sClient("-alpn", "h2,http/1.1").out()).contains("ALPN protocol: h2");
            assertThat(h.sClient("-alpn", "http/1.1").out()).contains("ALPN protocol: http/1.1");
            assertThat(h.sClient("-alpn", "spdy/3").out()).contains("No ALPN negotiated");

            // tls.alpn without h2: h2 is not offered
            h.server.stop(Duration.ZERO);
            h.start(h.web(TlsSettings.builder().certificate(cert.cert(), cert.key()).alpn(List.of("http/1.1")).build()).build());
            assertThat(h.sClient("-alpn", "h2").out()).contains("No ALPN negotiated");
            assertThat(h.sClient("-alpn", "h2,http/1.1").out()).contains("ALPN protocol: http/1.1");
        }
    }

    @Test
    void sessionsResumeWithTicketsFromRandomKeysAndFromAKeyFile() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            byte[] keys = new byte[96];
            new java.security.SecureRandom().nextBytes(keys);
            Files.write(dir.resolve("tickets.key"), keys);
            h.start(h.web(TlsSettings.builder().certificate(cert.cert(), cert.key()).build()).build());
            Path sess = dir.resolve("s1.pem");
            assertThat(h.sClient("-sess_out", sess.toString()).out()).contains("New, TLSv1.3");
            assertThat(h.sClient("-sess_in", sess.toString()).out()).contains("Reused, TLSv1.3");

            // the same ticket keys in a file: a session from one server resumes on another
            h.server.stop(Duration.ZERO);
            TlsSettings fromFile = TlsSettings.builder().certificate(cert.cert(), cert.key())
                    .ticketKeyFile(dir.resolve("tickets.key")).build();
            h.start(h.web(fromFile).build());
            Path sess2 = dir.resolve("s2.pem");
            assertThat(h.sClient("-sess_out", sess2.toString()).out()).contains("New, TLSv1.3");
            WebServer other = new WebServer("other", h.web(fromFile).build(), h.context);
            other.start();
            try {
                assertThat(TlsHarness.sClient(other.port(), "-sess_in", sess2.toString()).out()).contains("Reused, TLSv1.3");
            } finally {
                other.stop(Duration.ZERO);
            }
            // TLS 1.2 resumes too
            Path sess3 = dir.resolve("s3.pem");
            assertThat(h.sClient("-tls1_2", "-sess_out", sess3.toString()).out()).contains("New, TLSv1.2");
            assertThat(h.sClient("-tls1_2", "-sess_in", sess3.toString()).out()).contains("Reused, TLSv1.2");
        }
    }

    @Test
    void ocspResponseIsStapled() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            Files.write(dir.resolve("site.ocsp"), h.pki.ocspGood(cert.certificate()));
            h.start(h.web(TlsSettings.builder().certificate(cert.cert(), cert.key()).ocsp(dir.resolve("site.ocsp")).build())
                    .build());
            String out = h.sClient("-status").out();
            assertThat(out).contains("OCSP Response Status: successful").contains("Cert Status: good");

            // a response for another certificate replaces it: it is read again, and not stapled to this one
            TestPki.Issued other = h.pki.server("other", "127.0.0.1");
            Path tmp = dir.resolve("next.ocsp");
            Files.write(tmp, h.pki.ocspGood(other.certificate()));
            try (var logs = new dev.portico.testing.LogCapture(dev.portico.core.tls.ServerTls.class)) {
                Files.move(tmp, dir.resolve("site.ocsp"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(h.sClient("-status").out()).contains("OCSP response: no response sent"));
                assertThat(logs.messages(ch.qos.logback.classic.Level.WARN))
                        .anyMatch(m -> m.contains("answers for none of the certificates"));
            }
        }
    }

    @Test
    void clientCertificateRequired() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki clients = new TestPki(dir.resolve("clients"), "Client CA");
            TestPki.Issued alice = clients.server("alice", "alice");
            TestPki.Issued stranger = h.pki.server("stranger", "stranger");
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            RequestHandler whoami = ex -> {
                ex.respond(200, "text/plain", "peer=" + TlsFrontDoor.peerSubject(ex.context().channel()));
                return true;
            };
            h.server = new WebServer("mtls", h.web(TlsSettings.builder().certificate(cert.cert(), cert.key())
                    .clientCa(clients.caFile(), TlsSettings.ClientAuth.REQUIRED).build()).build(), h.context, List.of(whoami));
            h.server.start();
            TlsHarness.SClient ok = h.sClient("-cert", alice.cert().toString(), "-key", alice.key().toString());
            assertThat(ok.out()).contains("HTTP/1.0 200");
            TlsHarness.SClient anonymous = h.sClient();
            assertThat(anonymous.out()).doesNotContain("HTTP/1.0 200").containsIgnoringCase("alert");
            TlsHarness.SClient wrongCa = h.sClient("-cert", stranger.cert().toString(), "-key", stranger.key().toString());
            assertThat(wrongCa.out()).doesNotContain("HTTP/1.0 200").containsIgnoringCase("alert");
            assertThat(ok.out()).contains("peer=CN=alice");
        }
    }

    @Test
    void clientCertificateOptional() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki clients = new TestPki(dir.resolve("clients"), "Client CA");
            TestPki.Issued alice = clients.server("alice", "alice");
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            RequestHandler whoami = ex -> {
                ex.respond(200, "text/plain", "peer=" + TlsFrontDoor.peerSubject(ex.context().channel()));
                return true;
            };
            h.server = new WebServer("mtls", h.web(TlsSettings.builder().certificate(cert.cert(), cert.key())
                    .clientCa(clients.caFile(), TlsSettings.ClientAuth.OPTIONAL).build()).build(), h.context, List.of(whoami));
            h.server.start();
            assertThat(h.sClient().out()).contains("HTTP/1.0 200").contains("peer=null");
            assertThat(whoami(h, alice)).contains("peer=CN=alice");
        }
    }

    private static String whoami(TlsHarness h, TestPki.Issued client) throws Exception {
        return h.sClient("-cert", client.cert().toString(), "-key", client.key().toString()).out();
    }

    @Test
    void expiredCertificateStillLoads() throws Exception {
        try (TlsHarness h = new TlsHarness(dir);
             var logs = new dev.portico.testing.LogCapture(dev.portico.core.tls.ServerTls.class)) {
            TestPki.Issued old = h.pki.issue("old", TestPki.KeyType.RSA, TestPki.KeyFormat.TRADITIONAL,
                    Instant.parse("2020-01-01T00:00:00Z"), Instant.parse("2021-01-01T00:00:00Z"), "127.0.0.1");
            h.start(h.web(TlsSettings.builder().certificate(old.cert(), old.key()).build()).build());
            assertThat(h.sClient().serial()).isEqualTo(old.serial());
            assertThat(logs.messages(ch.qos.logback.classic.Level.WARN))
                    .anyMatch(m -> m.contains("expired on 2021-01-01 00:00:00 UTC") && m.contains(old.cert().toString()));
        }
    }

}
