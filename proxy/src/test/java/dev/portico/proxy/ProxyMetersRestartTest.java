package dev.portico.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A proxy started again under the same name on the same registry shows its own numbers. */
@Timeout(30)
class ProxyMetersRestartTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    @Test
    void theConnectionsGaugeReadsTheRunningInstanceAfterARestart() throws Exception {
        Origin o = h.named("a");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        h.proxy.stop(Duration.ofSeconds(1));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", h.proxy.port()), 5_000);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    h.meters.get("portico_proxy_connections_open").tag("service", "test").gauge().value())
                    .isEqualTo(1.0));
        }
        assertThat(h.meters.find("portico_proxy_connections_open").gauges()).hasSize(1);
    }
}
