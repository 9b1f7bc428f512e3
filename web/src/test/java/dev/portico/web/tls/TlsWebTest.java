package dev.portico.web.tls;

import dev.portico.core.tls.TlsSettings;
import dev.portico.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** HTTPS on a web listener with real clients, and what a TLS port does with input that is not TLS. */
@Timeout(60)
class TlsWebTest {

    @TempDir
    Path dir;

    private TlsSettings settings(TestPki.Issued cert) {
        return TlsSettings.builder().certificate(cert.cert(), cert.key()).build();
    }

    @Test
    void servesFilesOverHttpsToAClientTrustingTheCa() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "localhost", "127.0.0.1");
            h.start(h.web(settings(cert)).build());
            HttpResponse<String> r = h.get("/index.html");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("hello over tls\n");
            assertThat(r.sslSession()).isPresent();
            assertThat(r.sslSession().get().getProtocol()).isEqualTo("TLSv1.3");
            assertThat(h.server.endpoints().getFirst()).startsWith("https://127.0.0.1:");
        }
    }

    @Test
    void aLargeFileArrivesIntactOverTls() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            byte[] data = new byte[9 * 1024 * 1024 + 12345];
            new Random(7).nextBytes(data);
            Files.write(dir.resolve("site/big.bin"), data);
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(h.web(settings(cert)).build());
            HttpResponse<byte[]> r = h.client().send(HttpRequest.newBuilder(
                            URI.create("https://127.0.0.1:" + h.port() + "/big.bin")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(sha256(r.body())).isEqualTo(sha256(data));
        }
    }

    @Test
    void hstsHeaderOnTlsResponses() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(h.web(TlsSettings.builder().certificate(cert.cert(), cert.key()).hsts(Duration.ofDays(365)).build()).build());
            HttpResponse<String> r = h.get("/index.html");
            assertThat(r.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
            assertThat(h.get("/missing").headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
        }
    }

    @Test
    void redirectListenerAnswers308ToTheHttpsUrl() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(h.web(TlsSettings.builder().certificate(cert.cert(), cert.key())
                    .redirectHttp(dev.portico.core.net.HostPort.parse("127.0.0.1:0")).build()).build());
            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = plain.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + h.server.redirectPort() + "/a/b.html?x=1&y=2"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(308);
            assertThat(r.headers().firstValue("Location"))
                    .hasValue("https://127.0.0.1:" + h.port() + "/a/b.html?x=1&y=2");
            assertThat(h.server.endpoints()).anyMatch(e -> e.contains("redirects to https"));
            try (Socket s = new Socket("127.0.0.1", h.server.redirectPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("GET http://example.test/x/y?z=1 HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(answer).startsWith("HTTP/1.1 308 ")
                        .contains("\r\nLocation: https://example.test:" + h.port() + "/x/y?z=1\r\n");
            }
        }
    }

    @Test
    void plainHttpOnTheTlsPortGetsA400AndAClose() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(h.web(settings(cert)).build());
            try (Socket s = new Socket("127.0.0.1", h.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(answer).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("plain HTTP request sent to HTTPS port");
            }
        }
    }

    @Test
    void garbageInPlaceOfAClientHelloIsClosed() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(h.web(settings(cert)).build());
            try (Socket s = new Socket("127.0.0.1", h.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(new byte[]{0x00, 0x01, (byte) 0xfe, 0x7f, 0x10, 0x20});
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
            // a TLS record header followed by nonsense: the SNI parser refuses it and the server closes
            try (Socket s = new Socket("127.0.0.1", h.port())) {
                s.setSoTimeout(10_000);
                byte[] junk = new byte[64];
                new Random(3).nextBytes(junk);
                junk[0] = 0x16;
                junk[1] = 0x03;
                junk[2] = 0x01;
                junk[3] = 0x00;
                junk[4] = 0x3b;
                s.getOutputStream().write(junk);
                InputStream in = s.getInputStream();
                int b;
                do {
                    b = in.read();
                } while (b >= 0);
            }
            assertThat(h.get("/index.html").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aClientHelloSentOneBytePerSegmentStillCompletes() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(h.web(settings(cert)).build());
            SSLContext ssl = h.pki.clientContext();
            try (Socket raw = new Socket("127.0.0.1", h.port())) {
                raw.setSoTimeout(10_000);
                raw.setTcpNoDelay(true);
                OneByteOutput trickle = new OneByteOutput(raw.getOutputStream());
                Socket wrapped = new Socket() {
                    @Override
                    public OutputStream getOutputStream() {
                        return trickle;
                    }

                    @Override
                    public InputStream getInputStream() throws java.io.IOException {
                        return raw.getInputStream();
                    }

                    @Override
                    public boolean isConnected() {
                        return true;
                    }
                };
                SSLSocket tls = (SSLSocket) ssl.getSocketFactory().createSocket(wrapped, "127.0.0.1", h.port(), false);
                tls.setUseClientMode(true);
                tls.startHandshake();
                assertThat(trickle.writes).isGreaterThan(100);
                tls.getOutputStream().write("GET /index.html HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                tls.getOutputStream().flush();
                String answer = new String(tls.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(answer).startsWith("HTTP/1.0 200").endsWith("hello over tls\n");
            }
        }
    }

    @Test
    void aHandshakeThatNeverFinishesIsClosedAtTheTimeout() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(h.web(TlsSettings.builder().certificate(cert.cert(), cert.key())
                    .handshakeTimeout(Duration.ofMillis(300)).build()).build());
            try (Socket s = new Socket("127.0.0.1", h.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(new byte[]{0x16, 0x03, 0x01}); // a record header, then nothing
                InputStream in = s.getInputStream();
                assertThat(in.read()).isEqualTo(-1);
            }
            try (Socket s = new Socket("127.0.0.1", h.port())) {
                s.setSoTimeout(10_000);
                assertThat(s.getInputStream().read()).isEqualTo(-1); // nothing sent at all
            }
        }
    }

    @Test
    void aHelloThatNeverEndsIsClosedAtTheTimeoutWhileTheServerNameDecides() throws Exception {
        // two certificates: the SNI handler waits for the whole hello, with no timer of its own
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued a = h.pki.server("a", "a.example.test");
            TestPki.Issued b = h.pki.server("b", "b.example.test");
            h.start(h.web(TlsSettings.builder().certificate(a.cert(), a.key()).certificate(b.cert(), b.key())
                    .handshakeTimeout(Duration.ofMillis(300)).build()).build());
            try (Socket s = new Socket("127.0.0.1", h.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(new byte[]{0x16, 0x03, 0x01, 0x00, 0x40, 0x01}); // 64 bytes announced, 1 sent
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
        }
    }

    /** Writes each byte as its own segment (TCP_NODELAY and one flush per byte). */
    private static final class OneByteOutput extends OutputStream {
        private final OutputStream out;
        int writes;

        OneByteOutput(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws java.io.IOException {
            out.write(b);
            out.flush();
            writes++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            for (int i = 0; i < len; i++) {
                write(b[off + i]);
            }
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
