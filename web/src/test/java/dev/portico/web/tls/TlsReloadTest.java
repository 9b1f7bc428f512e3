package dev.portico.web.tls;

import ch.qos.logback.classic.Level;
import dev.portico.core.tls.ServerTls;
import dev.portico.core.tls.TlsSettings;
import dev.portico.testing.LogCapture;
import dev.portico.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Certificates replaced on disk reach new handshakes (ServerTls polls every 500 ms, so within
 * 2 s; the waits below are longer only so that a loaded machine does not fail them), open
 * connections keep theirs, and a broken file keeps the old pair.
 */
@Timeout(120)
class TlsReloadTest {

    @TempDir
    Path dir;

    private static void copy(Path from, Path to) throws Exception {
        Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static BigInteger serial(TlsHarness h) throws Exception {
        return h.sClient("-servername", "site.test").serial();
    }

    @Test
    void replacedFilesReachNewHandshakesAndOpenConnectionsKeepTheirs() throws Exception {
        try (TlsHarness h = new TlsHarness(dir); LogCapture logs = new LogCapture(ServerTls.class)) {
            TestPki.Issued a = h.pki.server("a", "site.test", "127.0.0.1");
            TestPki.Issued b = h.pki.server("b", "site.test", "127.0.0.1");
            Path cert = dir.resolve("live.pem");
            Path key = dir.resolve("live.key");
            copy(a.cert(), cert);
            copy(a.key(), key);
            h.start(h.web(TlsSettings.builder().certificate(cert, key).build()).build());
            assertThat(serial(h)).isEqualTo(a.serial());

            SSLSocket open = (SSLSocket) h.pki.clientContext().getSocketFactory().createSocket("127.0.0.1", h.port());
            open.setSoTimeout(10_000);
            open.startHandshake();

            // the key first: it does not match the old certificate, so nothing changes yet
            copy(b.key(), key);
            await().during(Duration.ofMillis(1200)).atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(serial(h)).isEqualTo(a.serial()));
            assertThat(logs.messages(Level.WARN)).anyMatch(m -> m.contains("does not match"));
            copy(b.cert(), cert);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(serial(h)).isEqualTo(b.serial()));

            // the connection opened before the swap still works, with the certificate it started with
            open.getOutputStream().write("GET /index.html HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = open.getInputStream();
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).startsWith("HTTP/1.0 200");
            assertThat(((X509Certificate) open.getSession().getPeerCertificates()[0]).getSerialNumber()).isEqualTo(a.serial());
            open.close();
        }
    }

    @Test
    void aSymlinkSwappedToNewFilesIsFollowed() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued a = h.pki.server("a", "site.test");
            TestPki.Issued b = h.pki.server("b", "site.test");
            Path live = Files.createDirectories(dir.resolve("live"));
            Files.createSymbolicLink(live.resolve("cert.pem"), a.cert());
            Files.createSymbolicLink(live.resolve("key.pem"), a.key());
            h.start(h.web(TlsSettings.builder().certificate(live.resolve("cert.pem"), live.resolve("key.pem")).build()).build());
            assertThat(serial(h)).isEqualTo(a.serial());
            swap(live.resolve("key.pem"), b.key());
            swap(live.resolve("cert.pem"), b.cert());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(serial(h)).isEqualTo(b.serial()));
        }
    }

    /** Points a symlink at a new target the way certbot does: a new link renamed over the old one. */
    private static void swap(Path link, Path target) throws Exception {
        Path tmp = link.resolveSibling(link.getFileName() + ".new");
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, link, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void aBrokenFileKeepsTheOldPairAndSaysWhy() throws Exception {
        try (TlsHarness h = new TlsHarness(dir); LogCapture logs = new LogCapture(ServerTls.class)) {
            TestPki.Issued a = h.pki.server("a", "site.test", "127.0.0.1");
            Path cert = dir.resolve("live.pem");
            Path key = dir.resolve("live.key");
            copy(a.cert(), cert);
            copy(a.key(), key);
            h.start(h.web(TlsSettings.builder().certificate(cert, key).build()).build());
            TestPki.write(cert, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(logs.messages(Level.WARN))
                    .anyMatch(m -> m.contains("previous certificates keep serving") && m.contains(cert.toString())));
            assertThat(serial(h)).isEqualTo(a.serial());
            assertThat(h.get("/index.html").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void reloadReadsTheFilesAtOnce() throws Exception {
        try (TlsHarness h = new TlsHarness(dir); LogCapture ignored = new LogCapture(ServerTls.class)) {
            TestPki.Issued a = h.pki.server("a", "site.test");
            TestPki.Issued b = h.pki.server("b", "site.test");
            Path cert = dir.resolve("live.pem");
            Path key = dir.resolve("live.key");
            copy(a.cert(), cert);
            copy(a.key(), key);
            h.start(h.web(TlsSettings.builder().certificate(cert, key).build()).build());
            copy(b.cert(), cert);
            copy(b.key(), key);
            h.server.refresh();
            assertThat(serial(h)).isEqualTo(b.serial());
        }
    }
}
