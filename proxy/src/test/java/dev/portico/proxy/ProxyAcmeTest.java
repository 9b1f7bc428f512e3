package dev.portico.proxy;

import dev.portico.acme.CertificateManager;
import dev.portico.acme.NameStatus;
import dev.portico.acme.PebbleClient;
import dev.portico.acme.PebbleServer;
import dev.portico.core.config.Problems;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code tls.acme} on the proxy, end to end against Debian's pebble: HTTP-01 answered by the
 * {@code redirect_http} listener and TLS-ALPN-01 by the TLS listener, neither passed to a backend;
 * the issued certificate then fronts the backend for a client that trusts only pebble's root.
 */
@Timeout(240)
class ProxyAcmeTest {

    @TempDir
    static Path pebbleDir;
    static PebbleServer pebble;
    static int httpPort;
    static int tlsPort;

    @TempDir
    Path dir;
    ProxyHarness h;

    @BeforeAll
    static void startPebble() throws Exception {
        assertThat(PebbleServer.installed()).as("pebble is not installed, but these tests get certificates from it:"
                + " apt-get install pebble").isTrue();
        httpPort = PebbleServer.freePort();
        tlsPort = PebbleServer.freePort();
        pebble = PebbleServer.start(pebbleDir, httpPort, tlsPort);
    }

    @AfterAll
    static void stopPebble() {
        if (pebble != null) {
            pebble.close();
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    private ProxyConfig config(String name, String challenge, int tlsListen, Origin backend) throws Exception {
        Problems problems = new Problems();
        ProxyConfig c = ProxyServiceTypeTest.TestYaml.parse("""
                type: proxy
                listen: [127.0.0.1:%d]
                backends: [%s]
                tls:
                  redirect_http: 127.0.0.1:%d
                  acme:
                    email: ops@portico.test
                    directory: %s
                    ca_roots: %s
                    names: [%s]
                    challenges: [%s]
                """.formatted(tlsListen, backend.address(), httpPort, pebble.directory(), pebble.caRootsFile(), name,
                challenge), problems);
        assertThat(problems.list()).isEmpty();
        return c;
    }

    @Test
    void http01IsAnsweredOnTheRedirectListenerNotProxied() throws Exception {
        issueAndServe("http.proxy.portico.test", "http-01", 0);
    }

    @Test
    void tlsAlpn01IsAnsweredOnTheTlsListener() throws Exception {
        issueAndServe("alpn.proxy.portico.test", "tls-alpn-01", tlsPort);
    }

    private void issueAndServe(String name, String challenge, int tlsListen) throws Exception {
        h = new ProxyHarness(dir.resolve("state"));
        Origin backend = h.named("backend");
        h.start(config(name, challenge, tlsListen, backend));
        CertificateManager manager = h.proxy.certificateManager();
        assertThat(manager.names()).containsExactly(name);

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(
                () -> manager.current(name).isPresent() || manager.status(name).orElseThrow().failures() > 0);
        NameStatus issued = manager.status(name).orElseThrow();
        assertThat(issued.lastError()).as("the order failed:\n%s", pebble.output()).isEmpty();
        BigInteger serial = issued.serial().orElseThrow();
        X509Certificate root = pebble.issuingRoot();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> PebbleClient.get(name, h.proxy.port(), root).serial().equals(serial));

        PebbleClient.Answer answer = PebbleClient.get(name, h.proxy.port(), root);
        assertThat(answer.text()).startsWith("HTTP/1.1 200").endsWith("backend");
        // The challenges were answered by the proxy itself: the backend saw the client's GET only.
        assertThat(backend.seen).isNotEmpty()
                .allSatisfy(r -> assertThat(r.head().line()).doesNotContain("acme-challenge"));

        // The redirect listener still redirects everything but pending challenges.
        try (HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/.well-known/acme-challenge/unknown")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(308);
        }

        // A reload with the same acme mapping keeps the manager and its certificate.
        h.proxy.reconfigure(config(name, challenge, tlsListen, backend));
        assertThat(h.proxy.certificateManager()).isSameAs(manager);
        assertThat(PebbleClient.get(name, h.proxy.port(), root).serial()).isEqualTo(serial);
    }
}
