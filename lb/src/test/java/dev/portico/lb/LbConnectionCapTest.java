package dev.portico.lb;

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
 * An lb service without {@code limits.connections} is capped at what the descriptor limit leaves
 * it, two descriptors a connection (the client's and the backend's), instead of taking
 * connections until the process runs out; connections above the cap are closed.
 */
@Timeout(60)
class LbConnectionCapTest {

    /** 200 descriptors: 100 kept for the process, 64 for admin, 36 for the service: 18 connections. */
    private static final DescriptorBudget SMALL = new DescriptorBudget(200, 64, 1, true);

    private final LbHarness h = new LbHarness();
    private IdleFlood flood;

    @AfterEach
    void close() throws Exception {
        if (flood != null) {
            flood.close();
        }
        h.close();
    }

    @Test
    void theDefaultCapComesFromTheDescriptorLimitAndTheExtraClientsAreClosed() throws Exception {
        // A backend that stays silent until the client speaks, so idle clients see nothing.
        TestBackend quiet = h.backend("quiet", TestBackend.Mode.SOURCE);
        LbConfig config = PorticoExtension.parse(new LbServiceType(), "db",
                "listen: [127.0.0.1:0]\nbackends: [" + quiet.address() + "]\nhealth: none\n");
        assertThat(config.maxConnections()).isZero();
        ServiceContext c = h.context;
        h.lb = new LbService("db", config,
                new ServiceContext(c.transport(), c.workers(), c.meters(), c.clock(), c.blocking(), SMALL));
        h.lb.start();
        assertThat(h.lb.connectionCaps()).containsExactly(new ConnectionCap("db", "connections", 18, 2));

        flood = IdleFlood.connect(h.lb.port(), 18);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.lb.openConnections() == 18);
        for (int i = 0; i < 3; i++) {
            flood.add(h.lb.port());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> flood.closedByServer() >= 3);
        assertThat(flood.closedWith()).containsExactly("", "", "");
        assertThat(flood.stillOpen()).isEqualTo(18);
        assertThat(h.lb.metrics().rejectedTotal()).isEqualTo(3);
    }

    @Test
    void aConfiguredCapIsKeptAndWrittenBack() throws Exception {
        LbServiceType type = new LbServiceType();
        LbConfig config = PorticoExtension.parse(type, "db",
                "listen: [127.0.0.1:0]\nbackends: [127.0.0.1:9]\nlimits: {connections: 7}\n");
        assertThat(config.maxConnections()).isEqualTo(7);
        assertThat(((Map<?, ?>) type.toYaml(config).orElseThrow().get("limits")).get("connections")).isEqualTo(7);
    }
}
