package dev.portico.lb;

import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** UDP services against real UDP echo backends on loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpServiceTest {

    private final LbHarness h = new LbHarness();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        h.close();
    }

    private UdpEchoBackend backend(String name, boolean tcpHealth) throws IOException {
        UdpEchoBackend b = UdpEchoBackend.start(name, tcpHealth);
        closing.add(b);
        return b;
    }

    private UdpClient client() throws IOException {
        UdpClient c = new UdpClient(h.lb.port());
        closing.add(c);
        return c;
    }

    /**
     * TCP checks of each backend's own port: a refused connect marks a host down at once, while
     * a slow answer on a loaded machine (2 s) does not.
     */
    private static final HealthCheckConfig TCP_TWIN = HealthCheckConfig.builder(HealthCheckType.TCP)
            .interval(Duration.ofMillis(100)).timeout(Duration.ofSeconds(2)).rise(1).fall(1)
            .downInterval(Duration.ofMillis(100)).allDownInterval(Duration.ofMillis(100)).build();

    private static LbConfig.Builder udp(Duration sessionTimeout, int maxSessions) {
        return LbHarness.config().protocol(LbProtocol.UDP).health(TCP_TWIN)
                .udp(new UdpSettings(sessionTimeout, maxSessions));
    }

    @Test
    @Timeout(30)
    void roundRobinPlacesSessionsAndEveryReplyReachesItsOwnClient() throws Exception {
        UdpEchoBackend a = backend("a", true);
        UdpEchoBackend b = backend("b", true);
        h.start(udp(Duration.ofMinutes(1), 100).backend(a.address()).backend(b.address()).build());
        assertThat(h.lb.endpoints()).allMatch(e -> e.startsWith("udp://"));
        // One datagram socket per event loop where the transport has SO_REUSEPORT.
        assertThat(h.lb.socketsPerListener()).containsExactly(h.transport.supportsReusePort() ? 2 : 1);

        Map<String, Integer> perBackend = new HashMap<>();
        List<UdpClient> clients = new ArrayList<>();
        List<String> placed = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            UdpClient c = client();
            clients.add(c);
            String reply = c.exchange("client-" + i);
            String backendName = reply.substring(0, reply.indexOf(':'));
            assertThat(reply).isEqualTo(backendName + ":client-" + i);
            placed.add(backendName);
            perBackend.merge(backendName, 1, Integer::sum);
        }
        assertThat(perBackend).containsExactlyInAnyOrderEntriesOf(Map.of("a", 2, "b", 2));

        // Later datagrams of a client follow its session, interleaved across clients.
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < clients.size(); i++) {
                clients.get(i).send("again-" + i + "-" + round);
            }
            for (int i = 0; i < clients.size(); i++) {
                assertThat(clients.get(i).receive()).isEqualTo(placed.get(i) + ":again-" + i + "-" + round);
            }
        }
        assertThat(h.lb.metrics().udpSessionTotal()).isEqualTo(4);
        assertThat(h.lb.metrics().udpSessionsOpen()).isEqualTo(4);
        // One upstream socket per session: each backend saw two source ports.
        assertThat(a.sources).hasSize(2);
        assertThat(b.sources).hasSize(2);
        assertThat(h.lb.backend("main", a.address()).stats().open()).isEqualTo(2);
    }

    @Test
    void idleSessionsExpireAndTheNextDatagramOpensANewOne() throws Exception {
        UdpEchoBackend a = backend("a", true);
        h.start(udp(Duration.ofMillis(300), 100).backend(a.address()).build());
        Backend host = h.lb.backend("main", a.address());

        UdpClient c = client();
        assertThat(c.exchange("one")).isEqualTo("a:one");
        assertThat(h.lb.metrics().udpSessionsOpen()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(3)).until(() -> h.lb.metrics().udpSessionsOpen() == 0);
        await().until(() -> host.stats().open() == 0);
        assertThat(host.stats().total()).isEqualTo(1);
        assertThat(host.stats().bytesOut()).isEqualTo(3);
        assertThat(host.stats().bytesIn()).isEqualTo(5);

        assertThat(c.exchange("two")).isEqualTo("a:two");
        assertThat(h.lb.metrics().udpSessionTotal()).isEqualTo(2);
        assertThat(a.sources).hasSize(2);
    }

    @Test
    void aBackendTheHealthCheckFindsDownIsSkipped() throws Exception {
        UdpEchoBackend a = backend("a", true);
        UdpEchoBackend b = backend("b", true);
        UdpEchoBackend noHealth = backend("c", false);
        h.start(udp(Duration.ofMinutes(1), 100).backend(a.address()).backend(b.address())
                .backend(noHealth.address()).build());
        Backend c = h.lb.backend("main", noHealth.address());
        await().atMost(Duration.ofSeconds(5)).until(() -> c.health() == HealthState.DOWN);

        Map<String, Integer> perBackend = new HashMap<>();
        for (int i = 0; i < 6; i++) {
            String reply = client().exchange("x" + i);
            perBackend.merge(reply.substring(0, reply.indexOf(':')), 1, Integer::sum);
        }
        assertThat(perBackend).containsExactlyInAnyOrderEntriesOf(Map.of("a", 3, "b", 3));
        assertThat(noHealth.received.get()).isZero();
    }

    @Test
    void aBackendThatAnswersPortUnreachableIsMarkedDownAndTheClientMovesOn() throws Exception {
        UdpEchoBackend a = backend("a", true);
        UdpEchoBackend gone = backend("gone", true);
        // No active check: only the data path (ICMP port unreachable) can find the dead host out.
        h.start(udp(Duration.ofMinutes(1), 100).backend(gone.address()).backend(a.address())
                .health(HealthCheckConfig.builder(HealthCheckType.NONE).downInterval(Duration.ofMinutes(1)).build())
                .build());
        gone.close();
        Backend dead = h.lb.backend("main", gone.address());

        UdpClient c = client();
        // Sent again until it is seen: a datagram that reached the socket while it was closing
        // is dropped without an ICMP error. Each one goes through the same session, to the dead host.
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (dead.health() != HealthState.DOWN) {
                c.send("lost");
            }
            return dead.health() == HealthState.DOWN;
        });
        await().until(() -> h.lb.metrics().udpSessionsOpen() == 0);
        assertThat(dead.stats().failed()).isGreaterThanOrEqualTo(1);
        assertThat(c.exchange("retry")).isEqualTo("a:retry");
    }

    @Test
    void theSessionCapDropsDatagramsOfNewClientsUntilASessionExpires() throws Exception {
        UdpEchoBackend a = backend("a", true);
        h.start(udp(Duration.ofMillis(400), 2).backend(a.address()).build());

        UdpClient one = client();
        UdpClient two = client();
        assertThat(one.exchange("1")).isEqualTo("a:1");
        assertThat(two.exchange("2")).isEqualTo("a:2");
        UdpClient three = client();
        three.send("3");
        await().until(() -> h.lb.metrics().rejectedTotal() == 1);
        assertThat(h.lb.metrics().udpDroppedTotal()).isEqualTo(1);
        assertThat(a.received.get()).isEqualTo(2);

        await().atMost(Duration.ofSeconds(3)).until(() -> h.lb.metrics().udpSessionsOpen() == 0);
        assertThat(three.exchange("3 again")).isEqualTo("a:3 again");
    }
}
