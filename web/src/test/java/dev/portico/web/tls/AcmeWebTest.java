package dev.portico.web.tls;

import ch.qos.logback.classic.Level;
import dev.portico.acme.CertificateManager;
import dev.portico.acme.NameStatus;
import dev.portico.acme.PebbleClient;
import dev.portico.acme.PebbleServer;
import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.testing.LogCapture;
import dev.portico.web.WebConfig;
import dev.portico.web.WebServiceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code tls.acme} end to end against Debian's pebble, which validates each challenge for real:
 * HTTP-01 answered by the {@code redirect_http} listener (it must not redirect the challenge),
 * TLS-ALPN-01 by the TLS listener; the issued certificate is then served by SNI to a client that
 * trusts only pebble's root, and a forced renewal shows a new serial to new handshakes.
 */
@Timeout(240)
class AcmeWebTest {

    @TempDir
    static Path pebbleDir;
    static PebbleServer pebble;
    static int httpPort;
    static int tlsPort;

    @TempDir
    Path dir;
    TlsHarness harness;

    @BeforeAll
    static void startPebble() throws Exception {
        assertThat(PebbleServer.installed()).as("pebble is not installed, but these tests get certificates from it:"
                + " apt-get install pebble").isTrue();
        // pebble must know where to validate before the service listens there
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
    void stop() throws InterruptedException {
        if (harness != null) {
            harness.close();
        }
    }

    private WebConfig config(String name, String challenge, int tlsListen) throws Exception {
        Files.createDirectories(dir.resolve("site"));
        Path f = dir.resolve("portico.yaml");
        Files.writeString(f, """
                type: web
                root: site
                access_log: access.log
                listen: [127.0.0.1:%d]
                tls:
                  redirect_http: 127.0.0.1:%d
                  acme:
                    email: ops@portico.test
                    directory: %s
                    ca_roots: %s
                    names: [%s]
                    challenges: [%s]
                """.formatted(tlsListen, httpPort, pebble.directory(), pebble.caRootsFile(), name, challenge));
        Problems problems = new Problems();
        WebConfig c = new WebServiceType().parse("site", Section.of(new YamlLoader().load(f), "services.site", problems));
        assertThat(problems.list()).isEmpty();
        return c;
    }

    @Test
    void http01IsAnsweredOnTheRedirectListenerAndTheCertificateServedThenRenewed() throws Exception {
        // The TLS listener is not where pebble sends TLS validations (pebble follows a redirect to
        // https there), so only the redirect listener's own answer can validate.
        issueServeAndRenew("http.portico.test", "http-01", 0);
    }

    @Test
    void tlsAlpn01IsAnsweredOnTheTlsListenerAndTheCertificateServedThenRenewed() throws Exception {
        issueServeAndRenew("alpn.portico.test", "tls-alpn-01", tlsPort);
    }

    private void issueServeAndRenew(String name, String challenge, int tlsListen) throws Exception {
        // No exception may reach the end of a pipeline, the validation handshakes' included.
        try (LogCapture tail = new LogCapture("io.netty.channel.DefaultChannelPipeline", Level.WARN)) {
            issueServeAndRenewChecked(name, challenge, tlsListen);
            assertThat(tail.messages(Level.WARN)).isEmpty();
        }
    }

    private void issueServeAndRenewChecked(String name, String challenge, int tlsListen) throws Exception {
        harness = new TlsHarness(dir);
        harness.start(config(name, challenge, tlsListen));
        int port = harness.port();
        X509Certificate root = pebble.issuingRoot();
        CertificateManager manager = harness.server.certificateManager();
        assertThat(manager.names()).containsExactly(name);

        // Until the first certificate the listener serves a self-signed stand-in for the name.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(
                () -> manager.current(name).isPresent() || manager.status(name).orElseThrow().failures() > 0);
        NameStatus issued = manager.status(name).orElseThrow();
        assertThat(issued.lastError()).as("the order failed:\n%s", pebble.output()).isEmpty();
        BigInteger first = issued.serial().orElseThrow();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> PebbleClient.get(name, port, root).serial().equals(first));
        if (challenge.equals("http-01")) {
            // pebble asked the redirect listener, which answered rather than redirecting
            Path log = dir.resolve("access.log");
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Files.exists(log) && Files.readString(log).contains(" 200 "));
            List<String> challenges = Files.readAllLines(log).stream()
                    .filter(l -> l.contains("/.well-known/acme-challenge/")).toList();
            assertThat(challenges).isNotEmpty().allMatch(l -> l.contains("\" 200 "), "answered with 200");
        }
        PebbleClient.Answer answer = PebbleClient.get(name, port, root);
        assertThat(answer.text()).startsWith("HTTP/1.1 200").endsWith("hello over tls\n");

        // The plain redirect listener still redirects everything but challenges.
        try (HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/.well-known/acme-challenge/unknown")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(308);
        }

        NameStatus renewed = manager.renew(name).get(120, TimeUnit.SECONDS);
        assertThat(renewed.lastError()).as("the renewal failed:\n%s", pebble.output()).isEmpty();
        BigInteger second = renewed.serial().orElseThrow();
        assertThat(second).isNotEqualTo(first);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> PebbleClient.get(name, port, root).serial().equals(second));

        // A reload with the same acme mapping keeps the manager; a changed one starts a new manager
        // from the stored pair, which serves on without a new order.
        harness.server.reconfigure(config(name, challenge, tlsListen));
        assertThat(harness.server.certificateManager()).isSameAs(manager);
        harness.server.reconfigure(config(name, challenge + ", " + (challenge.equals("http-01") ? "tls-alpn-01" : "http-01"),
                tlsListen));
        CertificateManager next = harness.server.certificateManager();
        assertThat(next).isNotSameAs(manager);
        assertThat(next.status(name).orElseThrow().serial()).contains(second);
        assertThat(next.status(name).orElseThrow().renewing()).isFalse();
        assertThat(PebbleClient.get(name, port, root).serial()).isEqualTo(second);
    }
}
