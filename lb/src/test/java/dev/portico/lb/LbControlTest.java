package dev.portico.lb;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.AdminState;
import dev.portico.upstream.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static dev.portico.lb.LbHarness.readLine;
import static dev.portico.lb.LbHarness.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Runtime control: group switch, drain, listeners, limits, idle timeout, PROXY protocol. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LbControlTest {

    private final LbHarness h = new LbHarness();

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    @Test
    void switchingTheGroupLiveSendsNewConnectionsThereAndKeepsOpenOnes() throws Exception {
        TestBackend blue = h.backend("blue", TestBackend.Mode.ECHO);
        TestBackend green = h.backend("green", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().group("blue", blue.address()).group("green", green.address()).build());

        try (Socket old = h.connect()) {
            assertThat(readLine(old)).isEqualTo("blue");
            h.lb.switchGroup("green");

            assertThat(h.roundTrip()).isEqualTo("green");
            assertThat(h.lb.activeGroup().name()).isEqualTo("green");
            send(old, "still here\n");
            assertThat(readLine(old)).isEqualTo("still here");
        }
        assertThat(h.lb.runningConfig().activeGroup()).isEqualTo("green");
        assertThatThrownBy(() -> h.lb.switchGroup("red")).hasMessageContaining("no group red");
    }

    @Test
    void aHostDisabledInTheConfigGetsNoConnectionsUntilAReloadEnablesIt() throws Exception {
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        TestBackend b = h.backend("b", TestBackend.Mode.ECHO);
        LbConfig.BackendSpec off = new LbConfig.BackendSpec(HostPort.parse(b.address()), 1, AdminState.DISABLED);
        h.start(LbHarness.config().backend(a.address()).backend("main", off).build());
        assertThat(h.lb.backend("main", b.address()).adminState()).isEqualTo(AdminState.DISABLED);
        for (int i = 0; i < 4; i++) {
            assertThat(h.roundTrip()).isEqualTo("a");
        }
        assertThat(h.lb.runningConfig().groups().get("main")).contains(off);

        h.lb.reconfigure(LbHarness.config().backend(a.address()).backend(b.address()).build());
        assertThat(h.lb.backend("main", b.address()).adminState()).isEqualTo(AdminState.ENABLED);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 4; i++) {
            seen.add(h.roundTrip());
        }
        assertThat(seen).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void drainedHostGetsNoNewConnectionsWhileItsOpenOnesFinish() throws Exception {
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        TestBackend b = h.backend("b", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(a.address()).backend(b.address()).build());

        try (Socket first = h.connect()) {
            String name = readLine(first);
            TestBackend held = name.equals("a") ? a : b;
            String other = name.equals("a") ? "b" : "a";
            h.lb.drain("main", held.address());

            for (int i = 0; i < 6; i++) {
                assertThat(h.roundTrip()).isEqualTo(other);
            }
            send(first, "finishing\n");
            assertThat(readLine(first)).isEqualTo("finishing");
            Backend drained = h.lb.backend("main", held.address());
            assertThat(drained.stats().open()).isEqualTo(1);
            first.close();
            await().until(() -> drained.stats().open() == 0);

            h.lb.enable("main", held.address());
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < 4; i++) {
                seen.add(h.roundTrip());
            }
            assertThat(seen).containsExactlyInAnyOrder("a", "b");
        }
    }

    @Test
    void hostsCanBeAddedDisabledAndRemovedButNotTheLastOfTheActiveGroup() throws Exception {
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        TestBackend b = h.backend("b", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(a.address()).build());

        h.lb.addBackend("main", new LbConfig.BackendSpec(HostPort.parse(b.address()), 3));
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 4; i++) {
            seen.add(h.roundTrip());
        }
        assertThat(seen).containsExactlyInAnyOrder("a", "b");
        assertThat(h.lb.runningConfig().groups().get("main"))
                .containsExactly(new LbConfig.BackendSpec(HostPort.parse(a.address()), 1),
                        new LbConfig.BackendSpec(HostPort.parse(b.address()), 3));

        h.lb.disable("main", a.address());
        for (int i = 0; i < 4; i++) {
            assertThat(h.roundTrip()).isEqualTo("b");
        }
        assertThat(h.lb.removeBackend("main", a.address())).isTrue();
        assertThatThrownBy(() -> h.lb.removeBackend("main", b.address()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("last host");
        assertThat(h.lb.removeBackend("main", "10.9.9.9:1")).isFalse();
    }

    @Test
    void reconfiguringTheListenAddressMovesTheListenerAndKeepsOpenConnections() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        LbConfig config = LbHarness.config().backend(echo.address()).build();
        h.start(config);
        int oldPort = h.lb.port();

        try (Socket open = h.connect()) {
            assertThat(readLine(open)).isEqualTo("echo");
            int newPort = TestBackend.deadPort();
            h.lb.reconfigure(config.toBuilder().listenOnly(java.util.List.of(new HostPort("127.0.0.1", newPort))).build());

            assertThat(h.lb.port()).isEqualTo(newPort);
            assertThat(h.roundTrip()).isEqualTo("echo");
            assertThatThrownBy(() -> LbHarness.connect(oldPort).close()).isInstanceOf(ConnectException.class);
            send(open, "kept\n");
            assertThat(readLine(open)).isEqualTo("kept");
        }
    }

    @Test
    void switchListenerOpensTheNewPortBeforeClosingTheOld() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(echo.address()).build());
        int oldPort = h.lb.port();

        int newPort = TestBackend.deadPort();
        InetSocketAddress bound = h.lb.switchListener(HostPort.parse("127.0.0.1:0"), new HostPort("127.0.0.1", newPort));

        assertThat(bound.getPort()).isEqualTo(newPort);
        assertThat(h.roundTrip()).isEqualTo("echo");
        assertThatThrownBy(() -> LbHarness.connect(oldPort).close()).isInstanceOf(ConnectException.class);
        assertThat(h.lb.runningConfig().listen()).containsExactly(new HostPort("127.0.0.1", newPort));
        assertThatThrownBy(() -> h.lb.closeListener(new HostPort("127.0.0.1", newPort)))
                .hasMessageContaining("last listener");
    }

    @Test
    void reconfigureAddsAndRemovesHostsAndSwitchesTheGroup() throws Exception {
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        TestBackend b = h.backend("b", TestBackend.Mode.ECHO);
        LbConfig first = LbHarness.config().backend(a.address()).build();
        h.start(first);
        assertThat(h.roundTrip()).isEqualTo("a");

        h.lb.reconfigure(first.toBuilder().group("next", b.address()).activeGroup("next").build());
        assertThat(h.roundTrip()).isEqualTo("b");
        assertThat(h.lb.groups()).containsOnlyKeys("main", "next");

        h.lb.reconfigure(LbHarness.config().listenOnly(first.listen()).group("next", b.address(), a.address())
                .scheduler("leastconns").build());
        assertThat(h.lb.groups()).containsOnlyKeys("next");
        assertThat(h.lb.activeGroup().scheduler().name()).isEqualTo("leastconns");
        assertThat(h.lb.activeGroup().pool().members()).hasSize(2);
    }

    @Test
    void serviceConnectionLimitClosesTheExtraClient() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(echo.address()).maxConnections(1).build());

        try (Socket first = h.connect()) {
            assertThat(readLine(first)).isEqualTo("echo");
            try (Socket second = h.connect()) {
                assertThat(second.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(h.lb.metrics().rejectedTotal()).isEqualTo(1);
        }
        await().until(() -> h.lb.openConnections() == 0);
        assertThat(h.roundTrip()).isEqualTo("echo");
    }

    @Test
    void perBackendLimitSendsTheNextClientElsewhereOrClosesIt() throws Exception {
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        TestBackend b = h.backend("b", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(a.address()).backend(b.address()).maxPerBackend(1).build());

        try (Socket one = h.connect(); Socket two = h.connect()) {
            assertThat(java.util.Set.of(readLine(one), readLine(two))).containsExactlyInAnyOrder("a", "b");
            try (Socket three = h.connect()) {
                assertThat(three.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(h.lb.metrics().noBackendTotal()).isEqualTo(1);
        }
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(echo.address()).idleTimeout(Duration.ofMillis(300)).build());

        try (Socket s = h.connect()) {
            assertThat(readLine(s)).isEqualTo("echo");
            long start = System.nanoTime();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
        await().until(() -> h.lb.openConnections() == 0);
    }

    @Test
    void proxyProtocolV1TellsTheBackendWhoTheClientIs() throws Exception {
        TestBackend capture = h.backend("capture", TestBackend.Mode.CAPTURE);
        h.start(LbHarness.config().backend(capture.address()).proxyProtocol(ProxyProtocol.V1).build());

        try (Socket s = new Socket()) {
            // Bind first: the header's length depends on the client port, and the backend must know it up front.
            s.bind(new InetSocketAddress(TestBackend.LOOPBACK, 0));
            String expected = "PROXY TCP4 127.0.0.1 127.0.0.1 " + s.getLocalPort() + " " + h.lb.port() + "\r\n";
            capture.captureBytes = expected.length();
            s.setSoTimeout(10_000);
            s.connect(new InetSocketAddress(TestBackend.LOOPBACK, h.lb.port()));
            send(s, "x");
            byte[] got = s.getInputStream().readNBytes(expected.length());
            assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo(expected);
        }
    }

    @Test
    void proxyProtocolV2SendsTheBinaryHeader() throws Exception {
        TestBackend capture = h.backend("capture", TestBackend.Mode.CAPTURE);
        capture.captureBytes = 28;
        h.start(LbHarness.config().backend(capture.address()).proxyProtocol(ProxyProtocol.V2).build());

        try (Socket s = h.connect()) {
            send(s, "x");
            byte[] got = s.getInputStream().readNBytes(28);
            java.nio.ByteBuffer header = java.nio.ByteBuffer.wrap(got);
            byte[] signature = new byte[12];
            header.get(signature);
            assertThat(signature).containsExactly(0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A);
            assertThat(header.get()).isEqualTo((byte) 0x21);
            assertThat(header.get()).isEqualTo((byte) 0x11);
            assertThat(header.getShort()).isEqualTo((short) 12);
            assertThat(header.getInt()).isEqualTo(0x7F000001);
            assertThat(header.getInt()).isEqualTo(0x7F000001);
            assertThat(header.getShort() & 0xFFFF).isEqualTo(s.getLocalPort());
            assertThat(header.getShort() & 0xFFFF).isEqualTo(h.lb.port());
        }
    }
}
