package dev.portico.server.ui;

import dev.portico.testing.TestPki;
import dev.portico.server.ui.DashboardBrowserTest.Browser;
import dev.portico.server.ui.DashboardBrowserTest.Portico;
import dev.portico.web.WebServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A page served over HTTPS to headless Chromium: a web service with {@code tls: {self_signed: true}},
 * whose certificate the browser is told to trust by its key (Chromium's SPKI list), loads over h2.
 */
class TlsBrowserTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsChromium() {
        DashboardBrowserTest.assumeChromium();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aTlsPageLoadsOverH2InChromium() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        Files.writeString(dir.resolve("www/index.html"),
                "<!doctype html><title>tls page</title><p id=msg>served over TLS</p>\n");
        Path config = dir.resolve("portico.yaml");
        Files.writeString(config, """
                state_dir: state
                admin: off
                services:
                  site:
                    type: web
                    listen: 127.0.0.1:0
                    root: www
                    tls: {self_signed: true}
                """);
        try (Portico p = new Portico("serve", "-c", config.toString())) {
            WebServer web = (WebServer) p.daemon.supervisor().running().getFirst().service();
            int port = web.port();
            String spki = spkiHash(port);
            try (Browser b = new Browser(dir.resolve("profile"), "--ignore-certificate-errors-spki-list=" + spki)) {
                b.driver.get("https://127.0.0.1:" + port + "/index.html");
                assertThat(b.waitFor(By.id("msg")).getText()).isEqualTo("served over TLS");
                assertThat(b.js("return location.protocol")).isEqualTo("https:");
                assertThat(b.js("return window.isSecureContext")).isEqualTo(true);
                assertThat(b.js("return performance.getEntriesByType('navigation')[0].nextHopProtocol")).isEqualTo("h2");
            }
        }
    }

    /** base64(sha256(SubjectPublicKeyInfo)) of the certificate the server presents. */
    private static String spkiHash(int port) throws Exception {
        SSLContext ctx = TestPki.trustingAnything(); // the test looks at the certificate itself
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            X509Certificate leaf = (X509Certificate) s.getSession().getPeerCertificates()[0];
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(leaf.getPublicKey().getEncoded());
            return Base64.getEncoder().encodeToString(digest);
        }
    }
}
