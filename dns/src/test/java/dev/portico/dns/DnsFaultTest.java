package dev.portico.dns;

import dev.portico.testing.LogCapture;
import ch.qos.logback.classic.Level;
import dev.portico.testing.fault.FaultyBackend;
import dev.portico.testing.fault.LoadDriver;
import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Dynamic records whose backends fail while they serve: an address leaves the answers once the
 * checks see it, whether they connect (tcp) or ask (http), and a failed check says why.
 */
@Timeout(60)
class DnsFaultTest {

    private static final Duration INTERVAL = Duration.ofMillis(150);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final int FALL = 3;

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    /** The backends' health changes, kept off the console: these tests take backends down on purpose. */
    private LogCapture healthChanges;

    @BeforeEach
    void captureHealthChanges() {
        healthChanges = new LogCapture(Backend.class);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) {
            c.close();
        }
        healthChanges.close();
    }

    private static HealthCheckConfig.Builder check(HealthCheckType type) {
        return HealthCheckConfig.builder(type).interval(INTERVAL).timeout(TIMEOUT).downInterval(Duration.ofMillis(100))
                .allDownInterval(Duration.ofMillis(100)).rise(2).fall(FALL);
    }

    private FaultyBackend backend(String name, String ip) throws Exception {
        FaultyBackend b = FaultyBackend.start(name, InetAddress.getByName(ip), 0);
        closeLater.add(b);
        return b;
    }

    private DnsFixture dns(DynamicRecordSpec... specs) throws Exception {
        DnsFixture dns = DnsFixture.start(dir, builder -> {
            for (DynamicRecordSpec spec : specs) {
                builder.dynamic(spec);
            }
            return builder;
        });
        closeLater.add(dns);
        return dns;
    }

    private static DynamicRecordSpec record(String name, HealthCheckConfig health, String... addresses) {
        return new DynamicRecordSpec(name, 60, 5, List.of(addresses).stream().map(AddressSpec::parse).toList(),
                health, 0, List.of());
    }

    private static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().map(Record::rdataToString).toList();
    }

    /** The checked backend of {@code name}'s address {@code spec}. */
    private static Backend backendOf(DnsFixture dns, String name, String spec) {
        return dns.service().dynamicRecords().stream().filter(r -> r.spec().name().equals(name))
                .flatMap(r -> r.addresses().stream()).map(DynamicRecordStatus.Address::backend)
                .filter(b -> b.address().toString().equals(spec)).findFirst().orElseThrow();
    }

    @ParameterizedTest
    @EnumSource(value = HealthCheckType.class, names = {"TCP", "HTTP"})
    void aKilledBackendLeavesTheAnswersWithinFallChecks(HealthCheckType type) throws Exception {
        FaultyBackend a = backend("a", "127.0.0.61");
        FaultyBackend b = backend("b", "127.0.0.62");
        DnsFixture dns = dns(record("web.example.test", check(type).build(), a.address(), b.address()));
        String name = "web.example.test.";
        await().atMost(Duration.ofSeconds(10)).until(() -> addresses(dns.query(name, Type.A)).size() == 2);
        try (LoadDriver load = LoadDriver.get(a.socketAddress(), "web.example.test", "/", 4, Duration.ofSeconds(10))) {
            long checked = a.requests();
            await().until(() -> a.requests() > checked + 200);
            a.kill();
            // fall failed checks an interval apart (each at most a timeout long), with a tenfold margin.
            Duration bound = INTERVAL.plus(TIMEOUT).multipliedBy(FALL * 10L);
            await().atMost(bound).pollInterval(Duration.ofMillis(20))
                    .untilAsserted(() -> assertThat(addresses(dns.query(name, Type.A))).containsExactly(b.ip()));
            assertThat(load.stop().count(200)).isPositive();
        }
        assertThat(backendOf(dns, "web.example.test", b.address()).health()).isEqualTo(HealthState.UP);
    }

    @Test
    void anHttpCheckPassesAgainstAKeepAliveServerAndClosesItsConnections() throws Exception {
        KeepAliveHttpServer server = new KeepAliveHttpServer("127.0.0.63");
        closeLater.add(server);
        DnsFixture dns = dns(record("head.example.test", check(HealthCheckType.HTTP).build(), server.spec()),
                record("body.example.test", check(HealthCheckType.HTTP).bodyContains("and well").build(),
                        server.spec()));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(addresses(dns.query("head.example.test.", Type.A))).containsExactly("127.0.0.63");
            assertThat(addresses(dns.query("body.example.test.", Type.A))).containsExactly("127.0.0.63");
        });
        assertThat(backendOf(dns, "head.example.test", server.spec()).healthReason())
                .isEqualTo("first check passed: http /: status 200");
        assertThat(backendOf(dns, "body.example.test", server.spec()).healthReason())
                .isEqualTo("first check passed: http /: status 200, body matched");
        // The server never closes: each check closes its own connection once it has judged the answer.
        int answered = server.requests();
        await().until(() -> server.closedByClient() >= answered + 4);
        assertThat(backendOf(dns, "head.example.test", server.spec()).health()).isEqualTo(HealthState.UP);
        assertThat(backendOf(dns, "body.example.test", server.spec()).health()).isEqualTo(HealthState.UP);
    }

    @Test
    void aHungBackendIsDownForWhatItsChecksWaitedFor() throws Exception {
        FaultyBackend a = backend("a", "127.0.0.61");
        FaultyBackend b = backend("b", "127.0.0.62");
        HealthCheckConfig health = check(HealthCheckType.HTTP).timeout(Duration.ofMillis(300)).build();
        DnsFixture dns = dns(record("web.example.test", health, a.address(), b.address()));
        String name = "web.example.test.";
        await().atMost(Duration.ofSeconds(10)).until(() -> addresses(dns.query(name, Type.A)).size() == 2);
        a.mode(FaultyBackend.Mode.HANG);
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(addresses(dns.query(name, Type.A))).containsExactly(b.ip()));
        String reason = "check failed 3/3: http " + a.address() + "/: timed out after 300ms waiting for the "
                + "response head";
        assertThat(backendOf(dns, "web.example.test", a.address()).healthReason()).isEqualTo(reason);
        assertThat(healthChanges.messages(Level.WARN))
                .contains("backend " + a.address() + " is DOWN (was UP): " + reason);
    }
}
