package dev.portico.server;

import dev.portico.testing.LogCapture;
import dev.portico.core.config.Location;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.net.HostPort;
import dev.portico.server.config.ServiceSpec;
import dev.portico.testing.EchoConfig;
import dev.portico.testing.EchoService;
import dev.portico.testing.EchoServiceType;
import dev.portico.testing.LineClient;
import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.ConnectException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class SupervisorTest {

    private static final Duration IO = Duration.ofSeconds(5);
    private static final Duration GRACE = Duration.ofMillis(200);

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    private final EchoServiceType echo = new EchoServiceType();
    private final EchoServiceType staticEcho = new EchoServiceType(false);
    private Supervisor supervisor;

    @BeforeEach
    void create() {
        supervisor = new Supervisor(portico.context());
    }

    @AfterEach
    void stop() {
        supervisor.shutdown(Duration.ZERO);
    }

    private static ServiceSpec spec(String name, EchoServiceType type, String prefix) {
        return new ServiceSpec(name, type, EchoConfig.loopback(prefix), Location.of("test"));
    }

    private static ServiceSpec spec(String name, EchoServiceType type, HostPort listen, String prefix) {
        return new ServiceSpec(name, type, new EchoConfig(listen, prefix), Location.of("test"));
    }

    private static Map<String, ServiceSpec> specs(ServiceSpec... specs) {
        Map<String, ServiceSpec> m = new LinkedHashMap<>();
        for (ServiceSpec s : specs) {
            m.put(s.name(), s);
        }
        return m;
    }

    private Service service(String name) {
        return supervisor.running().stream().filter(r -> r.spec().name().equals(name)).findFirst().orElseThrow().service();
    }

    private int port(String name) {
        return RunningService.addressOf(service(name)).getPort();
    }

    @Test
    void startsEveryServiceInOrder() throws Exception {
        supervisor.startAll(specs(spec("a", echo, "a "), spec("b", staticEcho, "b ")).values());

        assertThat(supervisor.running()).extracting(r -> r.spec().name()).containsExactly("a", "b");
        assertThat(LineClient.ask(port("a"), "1", IO)).isEqualTo("a 1");
        assertThat(LineClient.ask(port("b"), "2", IO)).isEqualTo("b 2");
    }

    @Test
    void aFailedStartStopsTheServicesAlreadyStarted() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            ServiceSpec ok = spec("ok", echo, "");
            ServiceSpec clash = spec("clash", staticEcho, new HostPort("127.0.0.1", taken.getLocalPort()), "");
            assertThatThrownBy(() -> supervisor.startAll(specs(ok, clash).values()))
                    .isInstanceOf(Supervisor.StartException.class)
                    .hasMessageContaining("service 'clash' (static-echo) failed to start")
                    .hasMessageContaining("address 127.0.0.1:" + taken.getLocalPort() + " is in use by another process");
        }
        assertThat(supervisor.running()).isEmpty();
    }

    @Test
    void reloadAddsRemovesReconfiguresAndRestarts() throws Exception {
        supervisor.startAll(specs(spec("live", echo, "v1 "), spec("fixed", staticEcho, "f1 "),
                spec("gone", echo, ""), spec("same", echo, "s ")).values());
        Service live = service("live");
        Service fixed = service("fixed");
        Service same = service("same");
        int gonePort = port("gone");
        HostPort liveListen = ((EchoService) live).config().listen();

        Supervisor.ReloadResult r = supervisor.reload(specs(
                spec("live", echo, liveListen, "v2 "),
                spec("fixed", staticEcho, "f2 "),
                spec("same", echo, "s "),
                spec("new", echo, "n ")), GRACE);

        assertThat(r.ok()).isTrue();
        assertThat(r.reconfigured()).containsExactly("live");
        assertThat(r.restarted()).containsExactly("fixed");
        assertThat(r.unchanged()).containsExactly("same");
        assertThat(r.started()).containsExactly("new");
        assertThat(r.stopped()).containsExactly("gone");
        assertThat(r.toString()).contains("reconfigured: live", "restarted: fixed", "stopped: gone");

        assertThat(service("live")).isSameAs(live);
        assertThat(LineClient.ask(port("live"), "x", IO)).isEqualTo("v2 x");
        assertThat(service("fixed")).isNotSameAs(fixed);
        assertThat(((EchoService) fixed).isStopped()).isTrue();
        assertThat(LineClient.ask(port("fixed"), "x", IO)).isEqualTo("f2 x");
        assertThat(service("same")).isSameAs(same);
        assertThat(LineClient.ask(port("new"), "x", IO)).isEqualTo("n x");
        // The kernel may hand the port "gone" freed to a service started after it ("new" or the
        // restarted "fixed" ask for port 0): only a port no running service holds must refuse.
        if (supervisor.running().stream().noneMatch(x -> x.spec().name().equals("gone"))
                && port("new") != gonePort && port("fixed") != gonePort) {
            assertThatThrownBy(() -> LineClient.ask(gonePort, "x", IO)).isInstanceOf(ConnectException.class);
        }
        assertThat(supervisor.running()).extracting(x -> x.spec().name()).containsExactly("live", "fixed", "same", "new");
    }

    @Test
    void aRefusedReconfigureKeepsTheOldServiceAndConfig() throws Exception {
        supervisor.startAll(specs(spec("live", echo, "v1 ")).values());
        Service live = service("live");

        // The echo service refuses to move to another address while running.
        Supervisor.ReloadResult r;
        try (LogCapture log = new LogCapture(Supervisor.class)) {
            r = supervisor.reload(specs(spec("live", echo, new HostPort("127.0.0.1", 1), "v2 ")), GRACE);
            assertThat(log.errors()).singleElement().asString().contains("service 'live' kept its old config");
        }

        assertThat(r.ok()).isFalse();
        assertThat(r.failed()).singleElement().asString().startsWith("live: echo cannot move");
        assertThat(service("live")).isSameAs(live);
        assertThat(LineClient.ask(port("live"), "x", IO)).isEqualTo("v1 x");
        assertThat(supervisor.running().getFirst().spec().config()).isEqualTo(((EchoService) live).config());
    }

    @Test
    void aRestartThatCannotBindFallsBackToTheOldConfig() throws Exception {
        supervisor.startAll(specs(spec("fixed", staticEcho, "f1 ")).values());
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Supervisor.ReloadResult r;
            try (LogCapture log = new LogCapture(Supervisor.class)) {
                r = supervisor.reload(
                        specs(spec("fixed", staticEcho, new HostPort("127.0.0.1", taken.getLocalPort()), "f2 ")), GRACE);
                assertThat(log.errors()).singleElement().asString()
                        .contains("service 'fixed' could not start with its new config", "restarting the old one");
            }

            assertThat(r.failed()).singleElement().asString()
                    .isEqualTo("fixed: address 127.0.0.1:" + taken.getLocalPort() + " is in use by another process");
        }
        assertThat(LineClient.ask(port("fixed"), "x", IO)).isEqualTo("f1 x");
    }

    @Test
    void anAddedServiceThatCannotStartIsReportedAndTheRestApplies() throws Exception {
        supervisor.startAll(specs(spec("a", echo, "a ")).values());
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Supervisor.ReloadResult r;
            try (LogCapture log = new LogCapture(Supervisor.class)) {
                r = supervisor.reload(specs(spec("a", echo, "a "),
                        spec("b", echo, new HostPort("127.0.0.1", taken.getLocalPort()), "")), GRACE);
                assertThat(log.errors()).singleElement().asString().contains("service 'b' could not start");
            }
            assertThat(r.failed()).singleElement().asString().startsWith("b: ");
            assertThat(r.unchanged()).containsExactly("a");
        }
        assertThat(supervisor.running()).extracting(x -> x.spec().name()).containsExactly("a");
    }

    @Test
    void shutdownStopsEverythingAndRefusesMore() throws Exception {
        supervisor.startAll(specs(spec("a", echo, ""), spec("b", staticEcho, "")).values());
        int a = port("a");
        int b = port("b");

        supervisor.shutdown(GRACE);

        assertThat(supervisor.running()).isEmpty();
        assertThatThrownBy(() -> LineClient.ask(a, "x", IO)).isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> LineClient.ask(b, "x", IO)).isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> supervisor.startAll(specs(spec("c", echo, "")).values()))
                .isInstanceOf(IllegalStateException.class);
    }
}
