package dev.portico.acme;

import dev.portico.testing.ManualClock;
import ch.qos.logback.classic.Level;
import dev.portico.testing.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Certificates from Debian's pebble, which validates every challenge for real: HTTP-01 and
 * TLS-ALPN-01 answered by {@link ChallengeServer} on 127.0.0.1, renewal, reload from disk, and a
 * failing validation that is recorded and backed off.
 */
@Timeout(180)
class AcmeEndToEndTest {

    /** Names under this label get a wrong HTTP-01 answer from the test's responder. */
    private static final String WRONG = "wrong.";

    @TempDir
    static Path pebbleDir;
    static EventLoopGroup group;
    static PendingChallenges pending;
    static ChallengeServer responders;
    static PebbleServer pebble;

    @TempDir
    Path stateDir;
    ScheduledExecutorService scheduler;
    CertificateManager manager;

    @BeforeAll
    static void startPebble() throws Exception {
        assertThat(PebbleServer.installed()).as("pebble is not installed, but these tests get certificates from it:"
                + " apt-get install pebble").isTrue();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        pending = new PendingChallenges();
        Http01Answers corrupting = (host, path) -> host != null && host.startsWith(WRONG)
                ? pending.answer(host, path).map(a -> a + "-not-it")
                : pending.answer(host, path);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        responders = ChallengeServer.start(group, any, any, corrupting, pending);
        pebble = PebbleServer.start(pebbleDir, responders.http01Address().getPort(), responders.tlsAlpn01Address().getPort());
    }

    @AfterAll
    static void stopPebble() {
        if (pebble != null) {
            pebble.close();
        }
        if (responders != null) {
            responders.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @AfterEach
    void stopManager() throws InterruptedException {
        if (manager != null) {
            manager.close();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    private AcmeSettings settings(String name, ChallengeType... challenges) {
        AcmeSettings.Builder b = AcmeSettings.builder().email("ops@portico.test").directory(pebble.directory())
                .caRoots(pebble.caRootsFile()).name(name);
        if (challenges.length > 0) {
            b.challenges(challenges);
        }
        return b.build();
    }

    private CertificateManager manager(AcmeSettings settings, java.time.Clock clock, SimpleMeterRegistry meters) throws Exception {
        scheduler = Executors.newSingleThreadScheduledExecutor();
        manager = CertificateManager.builder(settings).stateDir(stateDir).scheduler(scheduler).clock(clock)
                .meters(meters).service("site").challenges(pending).timeout(Duration.ofSeconds(30)).build();
        return manager;
    }

    private static IssuedCertificate awaitCertificate(List<IssuedCertificate> stored, int count) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> stored.size() >= count);
        return stored.get(count - 1);
    }

    @Test
    void http01IsValidatedByPebbleAndTheCertificateStored() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        CertificateManager m = manager(settings("http.portico.test", ChallengeType.HTTP_01), java.time.Clock.systemUTC(), meters);
        List<IssuedCertificate> stored = new CopyOnWriteArrayList<>();
        m.addListener(stored::add);
        m.start();

        IssuedCertificate cert = awaitCertificate(stored, 1);
        assertThat(cert.name()).isEqualTo("http.portico.test");
        assertThat(CertificateStore.coversName(cert.leaf(), "http.portico.test")).isTrue();
        assertValidUnder(cert.chain(), pebble.issuingRoot());
        assertThat(Files.getPosixFilePermissions(cert.keyFile())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(stateDir.resolve("acme").resolve(
                CertificateStore.directoryId(pebble.directory())).resolve("account.key")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(pending.isEmpty()).as("the answer is withdrawn once validated").isTrue();

        NameStatus s = m.status("http.portico.test").orElseThrow();
        assertThat(s.notAfter()).contains(cert.notAfter());
        assertThat(s.lastError()).isEmpty();
        assertThat(s.nextAttempt()).contains(m.renewalTime(cert));
        assertThat(meters.get("portico_acme_renewals").tags("name", "http.portico.test", "result", "ok").counter().count())
                .isEqualTo(1.0);
        assertThat(meters.get("portico_acme_certificate_expiry_seconds").tags("service", "site", "name", "http.portico.test")
                .gauge().value()).isPositive();
    }

    @Test
    void tlsAlpn01IsValidatedByPebbleAndTheCertificateStored() throws Exception {
        CertificateManager m = manager(settings("alpn.portico.test", ChallengeType.TLS_ALPN_01), java.time.Clock.systemUTC(),
                new SimpleMeterRegistry());
        List<IssuedCertificate> stored = new CopyOnWriteArrayList<>();
        m.addListener(stored::add);
        m.start();

        IssuedCertificate cert = awaitCertificate(stored, 1);
        assertThat(CertificateStore.coversName(cert.leaf(), "alpn.portico.test")).isTrue();
        assertValidUnder(cert.chain(), pebble.issuingRoot());
        assertThat(m.status("alpn.portico.test").orElseThrow().failures()).isZero();
    }

    @Test
    void issuesServesRenewsWithANewSerialAndReloadsFromDisk() throws Exception {
        String name = "www.portico.test";
        CertificateManager m = manager(settings(name), java.time.Clock.systemUTC(), new SimpleMeterRegistry());
        List<IssuedCertificate> stored = new CopyOnWriteArrayList<>();
        m.addListener(stored::add);
        m.start();
        IssuedCertificate first = awaitCertificate(stored, 1);
        X509Certificate root = pebble.issuingRoot();
        assertValidUnder(first.chain(), root);
        assertThat(handshake(first, name, root)).isEqualTo(first.serial());

        NameStatus after = m.renew(name).get(120, TimeUnit.SECONDS);
        IssuedCertificate second = awaitCertificate(stored, 2);
        assertThat(after.serial()).contains(second.serial());
        assertThat(second.serial()).isNotEqualTo(first.serial());
        assertThat(second.key()).isNotEqualTo(first.key());
        assertThat(m.current(name)).contains(second);
        assertThat(handshake(second, name, root)).isEqualTo(second.serial());
        assertThat(Files.readString(second.certFile())).isEqualTo(Pem.certificates(second.chain()));

        // A new manager over the same state directory serves the stored pair without ordering.
        m.close();
        scheduler.shutdownNow();
        List<IssuedCertificate> reloaded = new CopyOnWriteArrayList<>();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        CertificateManager again = manager(settings(name), java.time.Clock.systemUTC(), meters);
        again.addListener(reloaded::add);
        again.start();
        assertThat(reloaded).hasSize(1);
        assertThat(reloaded.getFirst().serial()).isEqualTo(second.serial());
        NameStatus s = again.status(name).orElseThrow();
        assertThat(s.renewing()).isFalse();
        assertThat(s.nextAttempt()).contains(again.renewalTime(second));
        assertThat(s.nextAttempt().orElseThrow()).isAfter(Instant.now());
        assertThat(meters.get("portico_acme_renewals").tags("name", name, "result", "ok").counter().count()).isZero();
    }

    @Test
    void aFailedValidationIsRecordedAndBackedOff() throws Exception {
        String name = WRONG + "portico.test";
        ManualClock clock = new ManualClock(Instant.now());
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        CertificateManager m = manager(settings(name, ChallengeType.HTTP_01), clock, meters);
        try (LogCapture logs = new LogCapture(CertificateManager.class.getName(), Level.WARN)) {
            m.start();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                    .until(() -> m.status(name).orElseThrow().failures() == 1);
            NameStatus first = m.status(name).orElseThrow();
            assertThat(first.lastError()).hasValueSatisfying(e -> assertThat(e)
                    .startsWith("http-01: validation invalid: ").contains("did not match").endsWith("-not-it\""));
            assertThat(first.lastErrorAt()).contains(clock.instant());
            assertThat(first.nextAttempt()).contains(clock.instant().plus(Duration.ofMinutes(1)));
            assertThat(first.notAfter()).isEmpty();
            assertThat(m.current(name)).isEmpty();
            assertThat(Files.exists(m.certFile(name))).isFalse();

            clock.advance(Duration.ofSeconds(10));
            NameStatus second = m.renew(name).get(120, TimeUnit.SECONDS);
            assertThat(second.failures()).isEqualTo(2);
            assertThat(second.nextAttempt()).contains(clock.instant().plus(Duration.ofMinutes(2)));
            assertThat(meters.get("portico_acme_renewals").tags("name", name, "result", "failed").counter().count())
                    .isEqualTo(2.0);
            assertThat(logs.messages(Level.WARN)).hasSize(2).allSatisfy(w -> assertThat(w).contains(name));
        }
    }

    private static void assertValidUnder(List<X509Certificate> chain, X509Certificate root) throws Exception {
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), params);
    }

    /** Serves the pair on a JDK TLS listener and connects with a client that trusts only pebble's root; the serial it saw. */
    private static java.math.BigInteger handshake(IssuedCertificate cert, String name, X509Certificate root) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("k", cert.key(), new char[0], cert.chain().toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        SSLContext serverCtx = SSLContext.getInstance("TLS");
        serverCtx.init(kmf.getKeyManagers(), null, null);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("root", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext clientCtx = SSLContext.getInstance("TLS");
        clientCtx.init(null, tmf.getTrustManagers(), null);
        try (SSLServerSocket server = (SSLServerSocket) serverCtx.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                    s.getInputStream().read();
                } catch (Exception e) {
                    // the client's verdict is what the test asserts
                }
            });
            try (Socket plain = new Socket()) {
                plain.connect(server.getLocalSocketAddress(), 5000);
                plain.setSoTimeout(10_000);
                try (SSLSocket client = (SSLSocket) clientCtx.getSocketFactory().createSocket(plain, name, server.getLocalPort(), false)) {
                    SSLParameters p = client.getSSLParameters();
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    p.setServerNames(List.of(new SNIHostName(name)));
                    client.setSSLParameters(p);
                    client.startHandshake();
                    X509Certificate seen = (X509Certificate) client.getSession().getPeerCertificates()[0];
                    return Optional.of(seen.getSerialNumber()).orElseThrow();
                }
            } finally {
                accepted.get(10, TimeUnit.SECONDS);
            }
        }
    }
}
