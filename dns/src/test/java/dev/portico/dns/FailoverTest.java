package dev.portico.dns;

import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Dynamic records end to end: real TCP backends on loopback addresses behind a failover chain. */
@Timeout(60)
class FailoverTest {

    private static final HealthCheckConfig FAST = HealthCheckConfig.builder(HealthCheckType.TCP)
            .interval(Duration.ofMillis(150)).timeout(Duration.ofMillis(300)).downInterval(Duration.ofMillis(100))
            .allDownInterval(Duration.ofMillis(100)).rise(2).fall(3).build();

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

    private DnsFixture serve(DynamicRecordSpec... specs) throws Exception {
        DnsFixture f = DnsFixture.start(dir, b -> {
            for (DynamicRecordSpec s : specs) {
                b.dynamic(s);
            }
            return b;
        });
        closeLater.add(f);
        return f;
    }

    private static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().map(Record::rdataToString).toList();
    }

    private static DynamicRecordSpec spec(String name, long max, long min, List<TcpBackend> backends, List<String> lastResort) {
        return new DynamicRecordSpec(name, max, min, backends.stream().map(b -> AddressSpec.parse(b.spec())).toList(),
                FAST, 0, lastResort.stream().map(IpLiteral::parse).toList());
    }

    @Test
    void failsOverAlongTheChainAndComesBack() throws Exception {
        TcpBackend a = backend("127.0.0.11");
        TcpBackend b = backend("127.0.0.12");
        TcpBackend backup = backend("127.0.0.21");
        DnsFixture dns = serve(spec("fo.example.test", 300, 5, List.of(a, b), List.of()),
                spec("_fo.example.test", 120, 4, List.of(backup), List.of()));
        String name = "fo.example.test.";

        await().atMost(Duration.ofSeconds(10)).until(() -> dns.query(name, Type.A).getSection(Section.ANSWER)
                .stream().allMatch(r -> r.getTTL() == 300));
        Message both = dns.query(name, Type.A);
        assertThat(both.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(addresses(both)).containsExactlyInAnyOrder(a.ip(), b.ip());

        Set<String> firsts = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            firsts.add(addresses(dns.query(name, Type.A)).getFirst());
        }
        assertThat(firsts).as("round robin rotates the order").containsExactlyInAnyOrder(a.ip(), b.ip());

        a.stop();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> dns.query(name, Type.A).getSection(Section.ANSWER).getFirst().getTTL() == 5);
        assertThat(addresses(dns.query(name, Type.A))).as("still up until fall is reached").contains(a.ip());
        await().atMost(Duration.ofSeconds(10)).until(() -> addresses(dns.query(name, Type.A)).equals(List.of(b.ip())));
        await().atMost(Duration.ofSeconds(5)).until(() -> dns.query(name, Type.A).getSection(Section.ANSWER)
                .getFirst().getTTL() == 300);

        b.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> addresses(dns.query(name, Type.A)).equals(List.of(backup.ip())));
        assertThat(dns.query(name, Type.A).getSection(Section.ANSWER).getFirst().getTTL())
                .as("the backup level's TTL").isIn(120L, 4L);

        backup.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> dns.query(name, Type.A).getSection(Section.ANSWER).isEmpty());
        Message empty = dns.query(name, Type.A);
        assertThat(empty.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(empty.getSection(Section.AUTHORITY)).singleElement().satisfies(r -> assertThat(r.getType()).isEqualTo(Type.SOA));

        a.start();
        b.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Set.copyOf(addresses(dns.query(name, Type.A)))
                .equals(Set.of(a.ip(), b.ip())));
    }

    @Test
    void everyLevelDownAnswersTheLastResort() throws Exception {
        TcpBackend dead = backend("127.0.0.31");
        dead.stop();
        DnsFixture dns = serve(spec("lr.example.test", 60, 60, List.of(dead), List.of("192.0.2.200")));
        await().atMost(Duration.ofSeconds(10)).until(() -> addresses(dns.query("lr.example.test.", Type.A))
                .equals(List.of("192.0.2.200")));
    }

    @Test
    void dynamicNamesAnswerNodataForOtherTypesAndFamilies() throws Exception {
        TcpBackend up = backend("127.0.0.41");
        DnsFixture dns = serve(spec("v4.example.test", 60, 60, List.of(up), List.of()));
        Message aaaa = dns.query("v4.example.test.", Type.AAAA);
        assertThat(aaaa.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(aaaa.getSection(Section.ANSWER)).isEmpty();
        assertThat(aaaa.getSection(Section.AUTHORITY)).singleElement().satisfies(r -> assertThat(r.getType()).isEqualTo(Type.SOA));
        Message mx = dns.query("v4.example.test.", Type.MX);
        assertThat(mx.getRcode()).as("the name exists").isEqualTo(Rcode.NOERROR);
        assertThat(dns.query("V4.Example.Test.", Type.A).getSection(Section.ANSWER)).extracting(Record::rdataToString)
                .containsExactly(up.ip());
    }

    @Test
    void weightsDecideWhichAddressComesFirst() throws Exception {
        TcpBackend heavy = backend("127.0.0.51");
        TcpBackend light = backend("127.0.0.52");
        {
            DynamicRecordSpec s = new DynamicRecordSpec("w.example.test", 60, 60,
                    List.of(new AddressSpec(InetAddress.getByName(heavy.ip()), 3, portOf(heavy)),
                            new AddressSpec(InetAddress.getByName(light.ip()), 1, portOf(light))),
                    FAST, 1, List.of());
            DnsFixture dns = serve(s);
            int heavyFirst = 0;
            for (int i = 0; i < 40; i++) {
                List<String> answer = addresses(dns.query("w.example.test.", Type.A));
                assertThat(answer).as("answers: 1 gives one address").hasSize(1);
                if (answer.getFirst().equals(heavy.ip())) {
                    heavyFirst++;
                }
            }
            assertThat(heavyFirst).as("weight 3 against 1 over 40 queries").isEqualTo(30);
        }
    }

    private static int portOf(TcpBackend b) {
        return Integer.parseInt(b.spec().substring(b.spec().lastIndexOf(':') + 1));
    }
}
