package dev.portico.lb;

import dev.portico.core.net.HostPort;
import dev.portico.core.transport.LinuxNet;
import dev.portico.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

import static dev.portico.lb.LbHarness.readLine;
import static dev.portico.lb.LbHarness.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What is particular to the native engine: which listeners it serves, and its listener and stop lifecycle. */
@Timeout(60)
class NativeEngineTest {

    private LbHarness h;

    @BeforeEach
    void setUp() {
        h = new LbHarness();
        assumeTrue(LinuxNet.available() && h.transport.kind() != Transport.Kind.NIO, "native engine needs Linux epoll");
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    @Test
    void servesPlainAndProxyAcceptingTcpListenersAndKeepsTheListenerOnAReload() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(echo.address()).build());
        assertThat(h.lb.nativePerListener()).containsExactly(true);
        assertThat(h.roundTrip()).isEqualTo("echo");

        // accept_proxy is served by the native engine too: a reload keeps the same listener.
        int port = h.lb.port();
        h.lb.reconfigure(LbHarness.config().backend(echo.address()).acceptProxy("10.0.0.0/8").build());
        assertThat(h.lb.nativePerListener()).containsExactly(true);
        assertThat(h.lb.port()).isEqualTo(port);
        assertThat(h.roundTrip()).isEqualTo("echo");
    }

    @Test
    void backendsGivenByNameAreLookedUpOnceThenOffTheLoop() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        String byName = "localhost:" + HostPort.parse(echo.address()).port();
        h.start(LbHarness.config().backend(byName).build());
        assertThat(h.lb.nativePerListener()).containsExactly(true);
        assertThat(h.roundTrip()).isEqualTo("echo");
        assertThat(h.roundTrip()).isEqualTo("echo");
    }

    @Test
    void aClosedListenerRefusesNewClientsWhileItsConnectionsGoOn() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(echo.address()).build());
        int first = h.lb.port();
        try (Socket s = h.connect()) {
            assertThat(readLine(s)).isEqualTo("echo");
            InetSocketAddress second = h.lb.openListener(HostPort.parse("127.0.0.2:0"));
            assertThat(h.lb.closeListener(HostPort.parse("127.0.0.1:0"))).isTrue();
            send(s, "still here\n");
            assertThat(readLine(s)).isEqualTo("still here");
            assertThatThrownBy(() -> LbHarness.connect(first)).isInstanceOf(ConnectException.class);
            assertThat(h.lb.openConnections()).isEqualTo(1);
            assertThat(second.getPort()).isPositive();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> h.lb.openConnections() == 0);
    }

    @Test
    void stopClosesWhatIsStillOpenAfterTheGrace() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(echo.address()).build());
        try (Socket s = h.connect()) {
            assertThat(readLine(s)).isEqualTo("echo");
            long start = System.nanoTime();
            h.lb.stop(Duration.ofMillis(300));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(h.lb.openConnections()).isZero();
            assertThat(h.lb.backend("main", echo.address()).stats().open()).isZero();
        }
    }
}
