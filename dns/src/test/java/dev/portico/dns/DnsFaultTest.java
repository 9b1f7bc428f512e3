package dev.portico.dns;

import dev.portico.testing.fault.FaultyBackend;
import dev.portico.testing.fault.LoadDriver;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
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

/** A dynamic record's backend killed while it serves: its address leaves the answers once the checks see it. */
@Timeout(60)
class DnsFaultTest {

    private static final Duration INTERVAL = Duration.ofMillis(150);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final int FALL = 3;
    private static final HealthCheckConfig CHECK = HealthCheckConfig.builder(HealthCheckType.TCP)
            .interval(INTERVAL).timeout(TIMEOUT).downInterval(Duration.ofMillis(100))
            .allDownInterval(Duration.ofMillis(100)).rise(2).fall(FALL).build();

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) {
            c.close();
        }
    }

    private FaultyBackend backend(String name, String ip) throws Exception {
        FaultyBackend b = FaultyBackend.start(name, InetAddress.getByName(ip), 0);
        closeLater.add(b);
        return b;
    }

    private static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().map(Record::rdataToString).toList();
    }

    @Test
    void aKilledBackendLeavesTheAnswersWithinFallChecks() throws Exception {
        FaultyBackend a = backend("a", "127.0.0.61");
        FaultyBackend b = backend("b", "127.0.0.62");
        DynamicRecordSpec spec = new DynamicRecordSpec("web.example.test", 60, 5,
                List.of(AddressSpec.parse(a.address()), AddressSpec.parse(b.address())), CHECK, 0, List.of());
        DnsFixture dns = DnsFixture.start(dir, builder -> builder.dynamic(spec));
        closeLater.add(dns);
        String name = "web.example.test.";
        await().atMost(Duration.ofSeconds(10)).until(() -> addresses(dns.query(name, Type.A)).size() == 2);
        try (LoadDriver load = LoadDriver.get(a.port(), "web.example.test", "/", 4, Duration.ofSeconds(10))) {
            await().until(() -> load.requests() > 200);
            a.kill();
            // fall failed checks an interval apart (each at most a timeout long), with a tenfold margin.
            Duration bound = INTERVAL.plus(TIMEOUT).multipliedBy(FALL * 10L);
            await().atMost(bound).pollInterval(Duration.ofMillis(20))
                    .untilAsserted(() -> assertThat(addresses(dns.query(name, Type.A))).containsExactly(b.ip()));
            load.stop();
        }
    }
}
