package dev.portico.dns;

import dev.portico.testing.LogCapture;
import ch.qos.logback.classic.Level;
import dev.portico.upstream.AdminState;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** An operator forcing dynamic addresses up and down, seen by real queries at once. */
@Timeout(60)
class ForcedAddressTest {

    private static final HealthCheckConfig FAST = HealthCheckConfig.builder(HealthCheckType.TCP)
            .interval(Duration.ofMillis(150)).timeout(Duration.ofMillis(300)).downInterval(Duration.ofMillis(100))
            .allDownInterval(Duration.ofMillis(100)).rise(2).fall(2).build();

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) {
            c.close();
        }
    }

    private TcpBackend backend(String ip) throws Exception {
        TcpBackend b = new TcpBackend(ip);
        closeLater.add(b);
        return b;
    }

    private static List<String> answers(DnsFixture dns, String name, boolean tcp) throws Exception {
        return dns.query(name, Type.A, tcp).getSection(Section.ANSWER).stream().map(Record::rdataToString).toList();
    }

    @Test
    void forcedDownLeavesAtOnceForcedUpStaysWhileDownAndReleaseHandsBackToTheChecks() throws Exception {
        TcpBackend a = backend("127.0.0.11");
        TcpBackend b = backend("127.0.0.12");
        TcpBackend backup = backend("127.0.0.21");
        DnsFixture dns = DnsFixture.start(dir, c -> c
                .dynamic(new DynamicRecordSpec("f.example.test", 300, 5, List.of(AddressSpec.parse(a.spec()),
                        AddressSpec.parse(b.spec())), FAST, 0, List.of()))
                .dynamic(new DynamicRecordSpec("_f.example.test", 60, 5, List.of(AddressSpec.parse(backup.spec())),
                        FAST, 0, List.of())));
        closeLater.add(dns);
        String name = "f.example.test.";
        await().atMost(Duration.ofSeconds(10)).until(() -> dns.query(name, Type.A).getSection(Section.ANSWER)
                .stream().allMatch(r -> r.getTTL() == 300));

        List<DynamicRecordStatus> records = dns.service().dynamicRecords();
        assertThat(records).extracting(r -> r.spec().name()).containsExactly("f.example.test", "_f.example.test");
        assertThat(records.get(0).level()).isZero();
        assertThat(records.get(0).fallbackOf()).isNull();
        assertThat(records.get(1).level()).isOne();
        assertThat(records.get(1).fallbackOf()).isEqualTo("f.example.test");
        assertThat(records.get(0).addresses()).extracting(x -> x.spec().address().getHostAddress())
                .containsExactly(a.ip(), b.ip());
        assertThat(records.get(0).addresses().getFirst().backend().health()).isEqualTo(HealthState.UP);
        assertThat(records.get(0).addresses().getFirst().backend().healthChangedAt()).isNotNull();

        // Many identical queries first, so any cached wire answer would be there to go stale.
        for (int i = 0; i < 20; i++) {
            assertThat(answers(dns, name, i % 2 == 0)).containsExactlyInAnyOrder(a.ip(), b.ip());
        }
        DynamicRecordStatus after = dns.service().force("F.Example.Test.", InetAddress.getByName(a.ip()), AdminState.DISABLED);
        assertThat(after.addresses().getFirst().backend().adminState()).isEqualTo(AdminState.DISABLED);
        assertThat(answers(dns, name, false)).containsExactly(b.ip());
        assertThat(answers(dns, name, true)).containsExactly(b.ip());

        // Forced down on every address: the chain's next level answers.
        dns.service().force(name, InetAddress.getByName(b.ip()), AdminState.DISABLED);
        assertThat(answers(dns, name, false)).containsExactly(backup.ip());

        // b's backend dies; forced up, it is answered anyway once its checks have failed.
        b.stop();
        dns.service().force(name, InetAddress.getByName(b.ip()), AdminState.FORCED_UP);
        await().atMost(Duration.ofSeconds(10)).until(() -> dns.service().dynamicRecords().getFirst().addresses()
                .get(1).backend().health() == HealthState.DOWN);
        assertThat(answers(dns, name, false)).containsExactly(b.ip());
        assertThat(dns.query(name, Type.A).getSection(Section.ANSWER).getFirst().getTTL())
                .as("a forced address is not near a change").isEqualTo(300);

        // Released: the checks decide again; b is down, a is back in.
        dns.service().force(name, InetAddress.getByName(b.ip()), AdminState.ENABLED);
        dns.service().force(name, InetAddress.getByName(a.ip()), AdminState.ENABLED);
        assertThat(answers(dns, name, false)).containsExactly(a.ip());

        assertThatThrownBy(() -> dns.service().force("nope.example.test", InetAddress.getByName(a.ip()),
                AdminState.DISABLED)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no dynamic record");
        assertThatThrownBy(() -> dns.service().force(name, InetAddress.getByName("127.0.0.99"), AdminState.DISABLED))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no address 127.0.0.99");
    }

    @Test
    void anAdminStateFileKeepsOverridesAcrossARestartAndIsReadAgainOnRefresh() throws Exception {
        TcpBackend a = backend("127.0.0.31");
        TcpBackend b = backend("127.0.0.32");
        Path state = dir.resolve("overrides.state");
        java.util.function.UnaryOperator<DnsConfig.Builder> config = c -> c.adminStateFile(state)
                .dynamic(new DynamicRecordSpec("k.example.test", 300, 5, List.of(AddressSpec.parse(a.spec()),
                        AddressSpec.parse(b.spec())), FAST, 0, List.of()));
        String name = "k.example.test.";

        DnsFixture first = DnsFixture.start(dir, config);
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> answers(first, name, false).size() == 2);
            first.service().force(name, InetAddress.getByName(a.ip()), AdminState.DISABLED);
            assertThat(java.nio.file.Files.readAllLines(state)).contains("k.example.test " + a.ip() + " down");
        } finally {
            first.close();
        }

        // A new server with the same config: a is still forced down, from its first answer on.
        DnsFixture second = DnsFixture.start(dir, config);
        closeLater.add(second);
        assertThat(second.service().dynamicRecords().getFirst().addresses().getFirst().backend().adminState())
                .isEqualTo(AdminState.DISABLED);
        await().atMost(Duration.ofSeconds(10)).until(() -> answers(second, name, false).equals(List.of(b.ip())));

        // The file edited by hand, with a mistake: SIGHUP reads it again, skips the bad line, and
        // hands a (no longer listed) back to its checks.
        java.nio.file.Files.writeString(state, "# by hand\nk.example.test " + b.ip() + " up\nk.example.test 10.0.0.1 sideways\n");
        try (LogCapture log = new LogCapture(DnsService.class)) {
            second.service().refresh();
            assertThat(log.messages(Level.WARN)).singleElement().asString()
                    .endsWith("overrides.state:3: 'sideways' is not up or down; line skipped");
        }
        List<DynamicRecordStatus.Address> now = second.service().dynamicRecords().getFirst().addresses();
        assertThat(now.get(0).backend().adminState()).isEqualTo(AdminState.ENABLED);
        assertThat(now.get(1).backend().adminState()).isEqualTo(AdminState.FORCED_UP);
        assertThat(answers(second, name, false)).containsExactlyInAnyOrder(a.ip(), b.ip());

        // Released through the API: the file is rewritten without it.
        second.service().force(name, InetAddress.getByName(b.ip()), AdminState.ENABLED);
        assertThat(java.nio.file.Files.readAllLines(state)).noneMatch(l -> l.startsWith("k.example.test"));
    }
}
