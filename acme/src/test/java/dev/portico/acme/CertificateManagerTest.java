package dev.portico.acme;

import dev.portico.testing.ManualClock;
import ch.qos.logback.classic.Level;
import dev.portico.testing.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The manager without an ACME server: stored pairs loaded and scheduled, broken ones refused
 * with the file's name, the old pair kept through failures, backoff, and the files' modes.
 */
@Timeout(60)
class CertificateManagerTest {

    static final String NAME = "www.portico.test";
    static TestCertificates.Pair ca;
    static URI unreachable;

    @TempDir
    Path stateDir;
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    CertificateManager manager;

    @BeforeAll
    static void makeCa() throws Exception {
        ca = TestCertificates.ca("test CA", Duration.ofDays(400));
        // Nothing listens there: every order fails to connect.
        unreachable = URI.create("https://127.0.0.1:" + PebbleServer.freePort() + "/dir");
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (manager != null) {
            manager.close();
        }
        scheduler.shutdownNow();
        scheduler.awaitTermination(10, TimeUnit.SECONDS);
    }

    private AcmeSettings.Builder settings() {
        return AcmeSettings.builder().directory(unreachable).name(NAME);
    }

    private CertificateManager manager(AcmeSettings s, ManualClock clock, SimpleMeterRegistry meters) throws IOException {
        manager = CertificateManager.builder(s).stateDir(stateDir).scheduler(scheduler).clock(clock).meters(meters)
                .service("site").timeout(Duration.ofSeconds(5)).build();
        return manager;
    }

    private IssuedCertificate store(AcmeSettings s, Instant notBefore, Instant notAfter, String... names) throws Exception {
        TestCertificates.Pair leaf = TestCertificates.server(ca, notBefore, notAfter, names);
        return new CertificateStore(stateDir, s.directory()).save(NAME, leaf.key().getPrivate(),
                List.of(leaf.certificate(), ca.certificate()));
    }

    @Test
    void aStoredPairIsServedAtStartAndRenewedAtTwoThirdsOfItsLifetime() throws Exception {
        AcmeSettings s = settings().build();
        Instant notBefore = Instant.parse("2026-01-01T00:00:00Z");
        IssuedCertificate saved = store(s, notBefore, notBefore.plus(Duration.ofDays(90)), NAME);
        ManualClock clock = new ManualClock(notBefore.plus(Duration.ofDays(10)));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        CertificateManager m = manager(s, clock, meters);
        List<IssuedCertificate> heard = new CopyOnWriteArrayList<>();
        m.addListener(heard::add);
        m.start();

        assertThat(heard).singleElement().satisfies(c -> {
            assertThat(c.serial()).isEqualTo(saved.serial());
            assertThat(c.chain()).isEqualTo(saved.chain());
        });
        NameStatus st = m.status(NAME).orElseThrow();
        assertThat(st.nextAttempt()).contains(notBefore.plus(Duration.ofDays(60)));
        assertThat(st.notAfter()).contains(notBefore.plus(Duration.ofDays(90)));
        assertThat(st.renewing()).isFalse();
        assertThat(st.lastRenewal()).isPresent();
        assertThat(st.lastError()).isEmpty();
        assertThat(meters.get("portico_acme_certificate_expiry_seconds").tags("name", NAME).gauge().value())
                .isEqualTo(Duration.ofDays(80).toSeconds());
        assertThat(m.current(NAME)).hasValueSatisfying(c -> assertThat(c.keyFile()).isEqualTo(m.keyFile(NAME)));
    }

    @Test
    void renewBeforeSetsTheRenewalAheadOfExpiry() throws Exception {
        AcmeSettings s = settings().renewBefore(Duration.ofDays(7)).build();
        Instant notBefore = Instant.parse("2026-01-01T00:00:00Z");
        store(s, notBefore, notBefore.plus(Duration.ofDays(90)), NAME);
        CertificateManager m = manager(s, new ManualClock(notBefore.plus(Duration.ofDays(1))), new SimpleMeterRegistry());
        m.start();
        assertThat(m.status(NAME).orElseThrow().nextAttempt()).contains(notBefore.plus(Duration.ofDays(83)));
    }

    @Test
    void aPairThatDoesNotMatchIsRefusedWithTheFileNameAndOrderedAgain() throws Exception {
        AcmeSettings s = settings().build();
        Instant now = Instant.now();
        IssuedCertificate saved = store(s, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(89)), NAME);
        // Another key in place of the certificate's own.
        Files.writeString(saved.keyFile(), Pem.privateKey(TestCertificates.ecKey().getPrivate()));
        ManualClock clock = new ManualClock(now);
        CertificateManager m = manager(s, clock, new SimpleMeterRegistry());
        try (LogCapture logs = new LogCapture(CertificateManager.class.getName(), Level.WARN)) {
            m.start();
            assertThat(m.current(NAME)).isEmpty();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> m.status(NAME).orElseThrow().failures() == 1);
            assertThat(logs.messages(Level.WARN).getFirst())
                    .contains(saved.keyFile().toString() + " does not match the certificate in " + saved.certFile());
            NameStatus st = m.status(NAME).orElseThrow();
            assertThat(st.lastError()).hasValueSatisfying(e -> assertThat(e).startsWith("cannot reach " + unreachable + ": "));
            assertThat(st.nextAttempt()).contains(clock.instant().plus(Duration.ofMinutes(1)));
        }
    }

    @Test
    void aCertificateForAnotherNameIsRefused() throws Exception {
        AcmeSettings s = settings().build();
        Instant now = Instant.now();
        store(s, now, now.plus(Duration.ofDays(90)), "other.portico.test");
        assertThatThrownBy(() -> new CertificateStore(stateDir, s.directory()).load(NAME))
                .isInstanceOf(IOException.class).hasMessageEndingWith("is not a certificate for " + NAME);
    }

    @Test
    void theOldPairKeepsServingWhileRenewalsFailAndTheWaitDoubles() throws Exception {
        AcmeSettings s = settings().build();
        Instant now = Instant.now();
        // Past two thirds of its lifetime: due at once.
        IssuedCertificate saved = store(s, now.minus(Duration.ofDays(70)), now.plus(Duration.ofDays(20)), NAME);
        ManualClock clock = new ManualClock(now);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        CertificateManager m = manager(s, clock, meters);
        try (LogCapture logs = new LogCapture(CertificateManager.class.getName(), Level.WARN)) {
            m.start();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> m.status(NAME).orElseThrow().failures() == 1);
            for (int failures = 2; failures <= 4; failures++) {
                clock.advance(Duration.ofSeconds(5));
                NameStatus st = m.renew(NAME).get(30, TimeUnit.SECONDS);
                assertThat(st.failures()).isEqualTo(failures);
                assertThat(st.nextAttempt()).contains(clock.instant().plus(Duration.ofMinutes(1L << (failures - 1))));
                assertThat(st.serial()).contains(saved.serial());
                assertThat(st.lastErrorAt()).contains(clock.instant());
            }
            assertThat(m.current(NAME).orElseThrow().serial()).isEqualTo(saved.serial());
            assertThat(Files.readString(m.certFile(NAME))).isEqualTo(Pem.certificates(saved.chain()));
            assertThat(meters.get("portico_acme_renewals").tags("name", NAME, "result", "failed").counter().count())
                    .isEqualTo(4.0);
            assertThat(logs.messages(Level.WARN)).hasSize(4);
        }
    }

    @Test
    void theBackoffDoublesUpToItsLimit() throws Exception {
        CertificateManager m = CertificateManager.builder(settings().build()).stateDir(stateDir).scheduler(scheduler)
                .retryMin(Duration.ofMinutes(1)).retryMax(Duration.ofMinutes(10)).build();
        manager = m;
        assertThat(List.of(m.backoff(1), m.backoff(2), m.backoff(3), m.backoff(4), m.backoff(5), m.backoff(60)))
                .containsExactly(Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(4), Duration.ofMinutes(8),
                        Duration.ofMinutes(10), Duration.ofMinutes(10));
    }

    @Test
    void renewNeedsAManagedNameAndAStartedManager() throws Exception {
        CertificateManager m = manager(settings().build(), new ManualClock(Instant.now()), new SimpleMeterRegistry());
        assertThatThrownBy(() -> m.renew(NAME)).isInstanceOf(IllegalStateException.class).hasMessage("not started");
        assertThatThrownBy(() -> m.renew("nope.portico.test")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'nope.portico.test' is not a name managed by acme");
        assertThat(m.status("nope.portico.test")).isEmpty();
        assertThat(m.status("WWW.Portico.Test.")).isPresent();
    }

    @Test
    void keysAreOwnerOnlyEvenWhenTheOldFileWasNot() throws Exception {
        AcmeSettings s = settings().build();
        Instant now = Instant.now();
        IssuedCertificate first = store(s, now, now.plus(Duration.ofDays(90)), NAME);
        Files.setPosixFilePermissions(first.keyFile(), PosixFilePermissions.fromString("rw-r--r--"));
        IssuedCertificate second = store(s, now, now.plus(Duration.ofDays(90)), NAME);
        assertThat(Files.getPosixFilePermissions(second.keyFile())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(second.certFile())).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(Files.getPosixFilePermissions(second.keyFile().getParent())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(new CertificateStore(stateDir, s.directory()).load(NAME).serial()).isEqualTo(second.serial());
        try (var files = Files.list(second.keyFile().getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("cert.pem", "key.pem");
        }
    }

    @Test
    void theDirectoryUrlNamesItsFolder() {
        assertThat(CertificateStore.directoryId(URI.create("https://acme-v02.api.letsencrypt.org/directory")))
                .isEqualTo("acme-v02.api.letsencrypt.org-directory");
        assertThat(CertificateStore.directoryId(URI.create("https://127.0.0.1:14000/dir"))).isEqualTo("127.0.0.1_14000-dir");
        assertThat(CertificateStore.directoryId(URI.create("https://ca.test/a/../b%20c"))).isEqualTo("ca.test-a-..-b_c");
    }
}
