package dev.portico.proxy;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.limits.ConnectionCap;
import dev.portico.core.limits.DescriptorBudget;
import dev.portico.testing.IdleFlood;
import dev.portico.testing.PorticoExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The proxy's client connection cap: {@code limits.connections}, or derived from the descriptor
 * limit at two descriptors a connection (the client's and the upstream's), never the fixed
 * 100,000 that was above the process's limit. Connections above it get 503 and a close.
 */
@Timeout(60)
class ProxyConnectionCapTest {

    /** 200 descriptors: 100 kept for the process, 64 for admin, 36 for the service: 18 connections. */
    private static final DescriptorBudget SMALL = new DescriptorBudget(200, 64, 1, true);

    private final ProxyHarness h = new ProxyHarness();
    private IdleFlood flood;

    @AfterEach
    void close() throws Exception {
        if (flood != null) {
            flood.close();
        }
        h.close();
    }

    private ProxyService start(String yaml, DescriptorBudget budget) throws Exception {
        ProxyConfig config = PorticoExtension.parse(new ProxyServiceType(), "front",
                "listen: [127.0.0.1:0]\nbackends: [127.0.0.1:9]\n" + yaml);
        ServiceContext c = h.context;
        h.proxy = new ProxyService("front", config,
                new ServiceContext(c.transport(), c.workers(), c.meters(), c.clock(), c.blocking(), budget));
        h.proxy.start();
        return h.proxy;
    }

    private void floodAboveTheCap(ProxyService proxy, int cap) throws Exception {
        flood = IdleFlood.connect(proxy.port(), cap + 4);
        await().atMost(Duration.ofSeconds(10)).until(() -> flood.closedByServer() >= 4);
        assertThat(flood.closedWith()).hasSize(4).allMatch(r -> r.startsWith("HTTP/1.1 503"));
        assertThat(flood.stillOpen()).isEqualTo(cap);
    }

    @Test
    void theConfiguredCapAnswers503AboveIt() throws Exception {
        ProxyService proxy = start("limits: {connections: 3}", SMALL);
        assertThat(proxy.config().maxConnections()).isEqualTo(3);
        assertThat(proxy.connectionCaps()).containsExactly(new ConnectionCap("front", "connections", 3, 2));
        floodAboveTheCap(proxy, 3);
    }

    @Test
    void theDefaultCapComesFromTheDescriptorLimit() throws Exception {
        ProxyService proxy = start("", SMALL);
        assertThat(proxy.config().maxConnections()).isZero();
        assertThat(proxy.connectionCaps()).containsExactly(new ConnectionCap("front", "connections", 18, 2));
        floodAboveTheCap(proxy, 18);
    }

    @Test
    void theCapIsWrittenBackOnlyWhenSet() throws Exception {
        ProxyServiceType type = new ProxyServiceType();
        ProxyConfig set = PorticoExtension.parse(type, "front", "listen: [127.0.0.1:0]\nbackends: [127.0.0.1:9]\n"
                + "limits: {connections: 3}");
        assertThat(((Map<?, ?>) type.toYaml(set).orElseThrow().get("limits")).get("connections")).isEqualTo(3);
        ProxyConfig derived = PorticoExtension.parse(type, "front", "listen: [127.0.0.1:0]\nbackends: [127.0.0.1:9]\n");
        Map<?, ?> limits = (Map<?, ?>) type.toYaml(derived).orElseThrow().get("limits");
        assertThat(limits == null || !limits.containsKey("connections")).isTrue();
    }
}
