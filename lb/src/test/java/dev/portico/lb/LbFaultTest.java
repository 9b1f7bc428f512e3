package dev.portico.lb;

import dev.portico.testing.fault.FaultyBackend;
import dev.portico.testing.fault.LoadDriver;
import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A backend killed under load behind the L4 balancer: the connections established to it are cut
 * (no L4 balancer can move a TCP stream), every new connection is placed on a live backend.
 */
@Timeout(60)
class LbFaultTest {

    private static final int CLIENTS = 50;

    private final LbHarness h = new LbHarness();

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    @Test
    void aKilledBackendCutsOnlyItsEstablishedConnectionsAndNoNewOneFails() throws Exception {
        try (FaultyBackend a = FaultyBackend.start("a"); FaultyBackend b = FaultyBackend.start("b")) {
            h.start(LbHarness.config().backend(a.address()).backend(b.address()).build());
            Backend victim = h.lb.backend("main", a.address());
            try (LoadDriver established = LoadDriver.get(h.lb.port(), "x", "/", CLIENTS, Duration.ofSeconds(20))) {
                await().until(() -> a.requests() > 200 && b.requests() > 200);
                a.kill();
                // New connections from the moment of the kill, before and after the checks mark it down.
                try (LoadDriver fresh = LoadDriver.getEachOnNewConnection(h.lb.port(), "x", "/", CLIENTS,
                        Duration.ofSeconds(20))) {
                    await().until(() -> fresh.requests() > 2000);
                    await().atMost(Duration.ofSeconds(10)).until(() -> victim.health() == HealthState.DOWN);
                    LoadDriver.Result onNew = fresh.stop();
                    assertThat(onNew.failures()).as("%s", onNew).isZero();
                }
                LoadDriver.Result keptAlive = established.stop();
                // Each keep-alive client loses at most the one connection it had to the killed backend.
                assertThat(keptAlive.errorCount()).as("%s", keptAlive).isLessThanOrEqualTo(CLIENTS);
                assertThat(keptAlive.count(200)).isPositive();
            }
        }
    }
}
