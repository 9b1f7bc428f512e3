package dev.portico.proxy;

import dev.portico.core.net.HostPort;
import dev.portico.core.tls.TlsSettings;
import dev.portico.core.transport.ListenSpec;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** TLS termination in the proxy: HTTPS and h2 clients to plain backends, HSTS, redirect, mTLS subject header, reload. */
@Timeout(60)
class ProxyTlsTest {

    @TempDir
    Path dir;

    private final ProxyHarness h = new ProxyHarness();
    private TestPki pki;
    private TestPki.Issued site;

    @BeforeEach
    void setUp() {
        pki = new TestPki(dir.resolve("pki"), "Proxy Test CA");
        site = pki.server("site", "127.0.0.1", "localhost");
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private static ProxyConfig.Builder tlsConfig(TlsSettings tls) {
        return ProxyConfig.builder().listen(ListenSpec.tls(new HostPort("127.0.0.1", 0))).tls(tls)
                .connectTimeout(Duration.ofSeconds(2)).firstByteTimeout(Duration.ofSeconds(5));
    }

    private HttpClient client(HttpClient.Version version) {
        return client(version, pki.clientContext());
    }

    private static HttpClient client(HttpClient.Version version, SSLContext ssl) {
        return HttpClient.newBuilder().sslContext(ssl).version(version).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private HttpResponse<String> get(HttpClient client, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + h.proxy.port() + path))
                .timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A client context presenting {@code cert} and trusting the proxy's CA. */
    private SSLContext withClientCertificate(TestPki.Issued cert, TestPki issuer) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("client", cert.privateKey(), new char[0], new Certificate[] {cert.certificate(), issuer.ca()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", pki.ca());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    @Test
    void httpsClientsReachAPlainBackendWithHstsAndTheHttpsScheme() throws Exception {
        Origin o = h.named("plain");
        h.start(tlsConfig(TlsSettings.builder().certificate(site.cert(), site.key()).hsts(Duration.ofDays(365)).build())
                .pool("*", ProxyHarness.pool("roundrobin", o)).build());
        HttpResponse<String> r = get(client(HttpClient.Version.HTTP_1_1), "/a?b=c");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("plain");
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(r.headers().firstValue("strict-transport-security")).hasValue("max-age=31536000");
        Http.Head seen = o.seen.getFirst().head();
        assertThat(seen.line()).isEqualTo("GET /a?b=c HTTP/1.1");
        assertThat(seen.get("x-forwarded-proto")).isEqualTo("https");
        assertThat(seen.get("forwarded")).contains("proto=https");
        assertThat(h.proxy.endpoints()).anyMatch(e -> e.startsWith("https://127.0.0.1:" + h.proxy.port()))
                .anyMatch(e -> e.startsWith("TLS engine "));
    }

    @Test
    void h2ThroughAlpnReachesAnHttp11BackendWithHsts() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, 200, "h2 " + req.head().line()));
        h.start(tlsConfig(TlsSettings.builder().certificate(site.cert(), site.key()).hsts(Duration.ofDays(1)).build())
                .pool("*", ProxyHarness.pool("roundrobin", o)).build());
        HttpResponse<String> r = get(client(HttpClient.Version.HTTP_2), "/two");
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("h2 GET /two HTTP/1.1");
        assertThat(r.headers().firstValue("strict-transport-security")).hasValue("max-age=86400");
        assertThat(o.seen.getFirst().head().get("x-forwarded-proto")).isEqualTo("https");
    }

    @Test
    void theCacheHitsOverTls() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, 200, "cached", "Cache-Control: max-age=60"));
        h.start(tlsConfig(TlsSettings.builder().certificate(site.cert(), site.key()).build())
                .pool("*", ProxyHarness.pool("roundrobin", o)).cache(CacheConfig.builder().build()).build());
        HttpClient c = client(HttpClient.Version.HTTP_1_1);
        assertThat(get(c, "/c").headers().firstValue("x-cache")).hasValue("MISS");
        HttpResponse<String> hit = get(c, "/c");
        assertThat(hit.headers().firstValue("x-cache")).hasValue("HIT");
        assertThat(hit.body()).isEqualTo("cached");
        HttpResponse<String> h2Hit = get(client(HttpClient.Version.HTTP_2), "/c");
        assertThat(h2Hit.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(h2Hit.headers().firstValue("x-cache")).hasValue("HIT");
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void theVerifiedClientSubjectReachesTheBackendAndAForgedOneNever() throws Exception {
        TestPki clients = new TestPki(dir.resolve("clients"), "Client CA");
        TestPki.Issued alice = clients.server("alice", "alice");
        Origin o = h.named("o");
        h.start(tlsConfig(TlsSettings.builder().certificate(site.cert(), site.key())
                .clientCa(clients.caFile(), TlsSettings.ClientAuth.OPTIONAL).build())
                .clientCertHeader("X-Client-Subject").pool("*", ProxyHarness.pool("roundrobin", o)).build());

        // A client with a certificate: its subject, and not the one it wrote itself.
        SSLContext aliceTls = withClientCertificate(alice, clients);
        assertThat(get(client(HttpClient.Version.HTTP_1_1, aliceTls), "/1", "X-Client-Subject", "CN=admin").statusCode())
                .isEqualTo(200);
        assertThat(o.seen.get(0).head().get("x-client-subject")).isEqualTo("CN=alice");
        // The same over h2, where the certificate belongs to the stream's connection.
        HttpResponse<String> h2 = get(client(HttpClient.Version.HTTP_2, aliceTls), "/2", "x-client-subject", "CN=admin");
        assertThat(h2.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(o.seen.get(1).head().get("x-client-subject")).isEqualTo("CN=alice");

        // A client without a certificate cannot make one up.
        assertThat(get(client(HttpClient.Version.HTTP_1_1), "/3", "X-Client-Subject", "CN=admin").statusCode())
                .isEqualTo(200);
        assertThat(o.seen.get(2).head().get("x-client-subject")).isNull();
        assertThat(get(client(HttpClient.Version.HTTP_2), "/4", "x-client-subject", "CN=admin").statusCode())
                .isEqualTo(200);
        assertThat(o.seen.get(3).head().get("x-client-subject")).isNull();
    }

    @Test
    void answersForAnIdentifiedClientAreNotSharedThroughTheCache() throws Exception {
        TestPki clients = new TestPki(dir.resolve("clients"), "Client CA");
        TestPki.Issued alice = clients.server("alice", "alice");
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, 200,
                "for " + req.head().get("x-client-subject"), "Cache-Control: max-age=60"));
        h.start(tlsConfig(TlsSettings.builder().certificate(site.cert(), site.key())
                .clientCa(clients.caFile(), TlsSettings.ClientAuth.OPTIONAL).build())
                .clientCertHeader("X-Client-Subject").pool("*", ProxyHarness.pool("roundrobin", o))
                .cache(CacheConfig.builder().build()).build());
        HttpClient aliceClient = client(HttpClient.Version.HTTP_1_1, withClientCertificate(alice, clients));
        assertThat(get(aliceClient, "/me").body()).isEqualTo("for CN=alice");
        HttpResponse<String> anonymous = get(client(HttpClient.Version.HTTP_1_1), "/me");
        assertThat(anonymous.body()).isEqualTo("for null");
        assertThat(anonymous.headers().firstValue("x-cache")).hasValue("MISS");
        // the anonymous answer is shared as any other
        assertThat(get(client(HttpClient.Version.HTTP_1_1), "/me").headers().firstValue("x-cache")).hasValue("HIT");
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void aPlainRedirectListenerAnswers308ToTheHttpsUrl() throws Exception {
        Origin o = h.named("o");
        h.start(tlsConfig(TlsSettings.builder().certificate(site.cert(), site.key())
                .redirectHttp(new HostPort("127.0.0.1", 0)).build()).pool("*", ProxyHarness.pool("roundrobin", o)).build());
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = plain.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + h.proxy.redirectPort() + "/p?q=1")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(308);
        assertThat(r.headers().firstValue("location")).hasValue("https://127.0.0.1:" + h.proxy.port() + "/p?q=1");
        assertThat(o.seen).isEmpty();
        assertThat(h.proxy.endpoints()).anyMatch(e -> e.endsWith("(redirects to https)"));
    }

    @Test
    void refreshServesTheNewCertificateToNewHandshakes() throws Exception {
        Path cert = dir.resolve("live.pem");
        Path key = dir.resolve("live.key");
        Files.copy(site.cert(), cert);
        Files.copy(site.key(), key);
        Origin o = h.named("o");
        h.start(tlsConfig(TlsSettings.builder().certificate(cert, key).build())
                .pool("*", ProxyHarness.pool("roundrobin", o)).build());
        assertThat(served(client(HttpClient.Version.HTTP_1_1))).isEqualTo(site.serial());

        TestPki.Issued next = pki.server("next", "127.0.0.1", "localhost");
        Files.copy(next.cert(), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(next.key(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        h.proxy.refresh();
        // a new client for each try: a new connection, so a new handshake
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(served(client(HttpClient.Version.HTTP_1_1))).isEqualTo(next.serial()));
    }

    private java.math.BigInteger served(HttpClient client) throws Exception {
        HttpResponse<String> r = get(client, "/");
        X509Certificate leaf = (X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0];
        return leaf.getSerialNumber();
    }
}
