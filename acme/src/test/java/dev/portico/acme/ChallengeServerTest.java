package dev.portico.acme;

import dev.portico.testing.TestPki;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.bouncycastle.asn1.ASN1OctetString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The standalone challenge listeners: HTTP-01 answers by host and token, TLS-ALPN-01 certificates by SNI and ALPN offer. */
@Timeout(30)
class ChallengeServerTest {

    static EventLoopGroup group;
    static PendingChallenges pending = new PendingChallenges();
    static ChallengeServer server;
    static byte[] digest;

    @BeforeAll
    static void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        server = ChallengeServer.start(group, any, any, pending, pending);
        pending.putHttp01("a.portico.test", "tok-123", "tok-123.thumbprint");
        digest = MessageDigest.getInstance("SHA-256").digest("tok-456.thumbprint".getBytes(StandardCharsets.US_ASCII));
        pending.putTlsAlpn01("a.portico.test", ValidationCertificates.create("a.portico.test", digest));
    }

    @AfterAll
    static void stop() {
        server.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static String get(String host, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server.http01Address(), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void http01AnswersThePendingTokenForItsHostOnly() throws Exception {
        String ok = get("A.Portico.Test:80", "/.well-known/acme-challenge/tok-123");
        assertThat(ok).startsWith("HTTP/1.1 200 OK").endsWith("\r\n\r\ntok-123.thumbprint");
        assertThat(get("b.portico.test", "/.well-known/acme-challenge/tok-123")).startsWith("HTTP/1.1 404 ");
        assertThat(get("a.portico.test", "/.well-known/acme-challenge/tok-999")).startsWith("HTTP/1.1 404 ");
        assertThat(get("a.portico.test", "/.well-known/acme-challenge/tok-123/x")).startsWith("HTTP/1.1 404 ");
        assertThat(get("a.portico.test", "/index.html")).startsWith("HTTP/1.1 404 ");
        assertThat(pending.answer(null, "/.well-known/acme-challenge/tok-123")).isEmpty();
    }

    @Test
    void http01AnswersGarbageWith400AndAnOverlongLineToo() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(server.http01Address(), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: a.portico.test\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 4");
        }
        try (Socket s = new Socket()) {
            s.connect(server.http01Address(), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("\u0000\u0001 nonsense\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 400 ");
        }
    }

    @Test
    void http01StopsAnsweringOnceWithdrawn() throws Exception {
        pending.putHttp01("c.portico.test", "gone", "gone.thumbprint");
        assertThat(get("c.portico.test", "/.well-known/acme-challenge/gone")).startsWith("HTTP/1.1 200 ");
        pending.removeHttp01("c.portico.test", "gone");
        assertThat(get("c.portico.test", "/.well-known/acme-challenge/gone")).startsWith("HTTP/1.1 404 ");
    }

    private static SSLSocket handshake(String sni, String... alpn) throws Exception {
        SSLContext ctx = TestPki.trustingAnything(); // the test looks at the certificate itself
        Socket plain = new Socket();
        plain.connect(server.tlsAlpn01Address(), 5000);
        plain.setSoTimeout(5000);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, sni, server.tlsAlpn01Address().getPort(), true);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        p.setApplicationProtocols(alpn);
        s.setSSLParameters(p);
        try {
            s.startHandshake();
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    @Test
    void tlsAlpn01ServesTheValidationCertificateAndSelectsAcmeTls1() throws Exception {
        try (SSLSocket s = handshake("a.portico.test", "acme-tls/1")) {
            assertThat(s.getApplicationProtocol()).isEqualTo("acme-tls/1");
            X509Certificate cert = (X509Certificate) s.getSession().getPeerCertificates()[0];
            assertThat(CertificateStore.coversName(cert, "a.portico.test")).isTrue();
            assertThat(cert.getCriticalExtensionOIDs()).contains("1.3.6.1.5.5.7.1.31");
            byte[] ext = ASN1OctetString.getInstance(cert.getExtensionValue("1.3.6.1.5.5.7.1.31")).getOctets();
            assertThat(ASN1OctetString.getInstance(ext).getOctets()).isEqualTo(digest);
        }
    }

    @Test
    void aHelloWithoutTheAcmeOfferOrForAnotherNameGetsNoCertificate() {
        assertThatThrownBy(() -> handshake("a.portico.test", "h2", "http/1.1").close()).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> handshake("a.portico.test", "acme-tls/1", "h2").close()).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> handshake("other.portico.test", "acme-tls/1").close()).isInstanceOf(IOException.class);
    }

    @Test
    void bytesThatAreNotAHelloCloseTheConnection() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(server.tlsAlpn01Address(), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a.portico.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }
}
