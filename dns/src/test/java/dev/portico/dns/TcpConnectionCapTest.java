package dev.portico.dns;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.limits.ConnectionCap;
import dev.portico.core.limits.DescriptorBudget;
import dev.portico.testing.IdleFlood;
import dev.portico.testing.PorticoExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * DNS over TCP has a connection cap ({@code tcp_max_connections}, else derived from the
 * descriptor limit): a connection above it is closed as it is accepted, so a flood of idle TCP
 * clients cannot take every descriptor, and UDP and the connections within the cap still answer.
 */
@Timeout(60)
class TcpConnectionCapTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    private IdleFlood flood;

    @AfterEach
    void close() throws IOException {
        if (flood != null) {
            flood.close();
        }
    }

    @Test
    void connectionsAboveTheConfiguredCapAreClosedWhileOthersAnswer() throws Exception {
        try (DnsFixture dns = DnsFixture.start(dir, b -> b.tcpMaxConnections(3))) {
            assertThat(dns.service().connectionCaps()).containsExactly(new ConnectionCap("dns", "tcp connections", 3, 1));
            int port = dns.address().getPort();
            flood = IdleFlood.connect(port, 3);
            await().atMost(Duration.ofSeconds(10)).until(() -> dns.service().openTcpConnections() == 3);
            flood.add(port);
            flood.add(port);
            await().atMost(Duration.ofSeconds(10)).until(() -> flood.closedByServer() >= 2);
            assertThat(flood.closedWith()).containsExactly("", "");
            assertThat(flood.stillOpen()).isEqualTo(3);
            assertThat(dns.query("www.example.test.", Type.A, false).getRcode()).isEqualTo(Rcode.NOERROR);

            flood.closeOne();
            await().atMost(Duration.ofSeconds(10)).until(() -> dns.service().openTcpConnections() == 2);
            assertThat(dns.query("www.example.test.", Type.A, true).getRcode()).isEqualTo(Rcode.NOERROR);
        }
    }

    @Test
    void theDefaultCapComesFromTheDescriptorLimit() throws Exception {
        DnsConfig.Builder b = DnsConfig.builder().listen("127.0.0.1:0");
        b.zone("example.test", DnsFixture.copyZone(dir, "example.test"));
        DnsConfig config = b.build();
        ServiceContext c = portico.context();
        DescriptorBudget small = new DescriptorBudget(200, 64, 1, true);
        DnsService service = (DnsService) portico.start(new DnsService("ns", config,
                new ServiceContext(c.transport(), c.workers(), c.meters(), c.clock(), c.blocking(), small))).service();
        assertThat(service.connectionCaps()).containsExactly(new ConnectionCap("ns", "tcp connections", 36, 1));

        flood = IdleFlood.connect(service.localAddresses().getFirst().getPort(), 40);
        await().atMost(Duration.ofSeconds(10)).until(() -> flood.closedByServer() >= 4);
        assertThat(flood.stillOpen()).isEqualTo(36);
    }

    @Test
    void theCapIsReadAndWrittenBack() throws Exception {
        DnsServiceType type = new DnsServiceType();
        DnsFixture.copyZone(dir, "example.test");
        DnsConfig config = PorticoExtension.parse(type, "ns", "listen: [127.0.0.1:0]\nzones: {example.test: "
                + dir.resolve("example.test.zone") + "}\ntcp_max_connections: 5\n");
        assertThat(config.tcpMaxConnections()).isEqualTo(5);
        Map<String, Object> yaml = type.toYaml(config).orElseThrow();
        assertThat(yaml).containsEntry("tcp_max_connections", 5);
        assertThat(type.toYaml(config.toBuilder().tcpMaxConnections(0).build()).orElseThrow())
                .doesNotContainKey("tcp_max_connections");
    }
}
