package dev.portico.server.cmd;

import dev.portico.admin.AdminServer;
import dev.portico.server.Cli;
import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.Main;
import dev.portico.server.TestTypes;
import dev.portico.testing.TempSite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A second process never joins the SO_REUSEPORT group of the first: an address another socket
 * holds is refused with a clear message, TCP and UDP; the process's own reloads still rebind.
 */
@Timeout(60)
class PortSharingTest {

    @TempDir
    Path dir;

    /** What another Portico would hold: a listening socket with SO_REUSEPORT. */
    private static ServerSocket otherProcess(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        s.bind(new InetSocketAddress("127.0.0.1", port));
        return s;
    }

    /**
     * A UDP socket with SO_REUSEPORT on a port whose TCP side is free (the dns service binds TCP
     * first), so that the UDP check is what fails.
     */
    private static DatagramSocket udpWithFreeTcpPort() throws IOException {
        for (int attempt = 0; ; attempt++) {
            DatagramSocket udp = new DatagramSocket(null);
            udp.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            udp.bind(new InetSocketAddress("127.0.0.1", 0));
            try (ServerSocket tcp = new ServerSocket()) {
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress("127.0.0.1", udp.getLocalPort()));
                return udp;
            } catch (IOException tcpTaken) {
                udp.close();
                if (attempt == 20) {
                    throw tcpTaken;
                }
            }
        }
    }

    private static int statusOf(String url, String token) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    @Test
    void aWebQuickStartOnAnAddressAnotherProcessListensOnFails() throws Exception {
        TempSite site = new TempSite(dir.resolve("site")).file("index.html", "x");
        try (ServerSocket other = otherProcess(0)) {
            CliRun r = CliRun.run(TestTypes.all(), Daemon::requestStop, "web", site.root().toString(),
                    "--listen", "127.0.0.1:" + other.getLocalPort(), "--admin", "off", "--workers", "2");
            assertThat(r.status).as(r.toString()).isEqualTo(Cli.FAILED);
            assertThat(r.err).as(r.toString())
                    .contains("address 127.0.0.1:" + other.getLocalPort() + " is in use by another process");
        }
    }

    @Test
    void aDnsQuickStartOnAUdpAddressAnotherProcessHoldsFails() throws Exception {
        Path zone = Files.writeString(dir.resolve("example.test.zone"), """
                $ORIGIN example.test.
                @   300 IN SOA ns1 hostmaster 1 3600 600 86400 60
                @   300 IN NS  ns1
                ns1 300 IN A   192.0.2.53
                """);
        try (DatagramSocket other = udpWithFreeTcpPort()) {
            int port = other.getLocalPort();
            CliRun r = CliRun.run(Main.builtinTypes(), Daemon::requestStop, "dns", "--listen", "127.0.0.1:" + port,
                    "--zone", "example.test=" + zone, "--admin", "off", "--workers", "2");
            assertThat(r.status).as(r.toString()).isEqualTo(Cli.FAILED);
            assertThat(r.err).as(r.toString()).isEqualTo("portico: service 'dns' failed to start: udp address 127.0.0.1:"
                    + port + " is in use by another process\n");
        }
    }

    @Test
    void anAdminAddressGivenExplicitlyIsNotMoved() throws Exception {
        TempSite site = new TempSite(dir.resolve("site")).file("index.html", "x");
        try (ServerSocket other = otherProcess(0)) {
            CliRun r = CliRun.run(TestTypes.all(), Daemon::requestStop, "web", site.root().toString(),
                    "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:" + other.getLocalPort(), "--workers", "1");
            assertThat(r.status).as(r.toString()).isEqualTo(Cli.FAILED);
            assertThat(r.err).as(r.toString()).contains("admin endpoint: address 127.0.0.1:" + other.getLocalPort()
                    + " is in use by another process");
        }
    }

    @Test
    void aQuickStartWhoseDefaultAdminAddressIsTakenMovesItToAFreePort() throws Exception {
        TempSite site = new TempSite(dir.resolve("site")).file("index.html", "x");
        int defaultPort = AdminServer.DEFAULT_LISTEN.port();
        ServerSocket other = null;
        try {
            try {
                other = otherProcess(defaultPort);
            } catch (IOException alreadyTaken) {
                // another process on this machine holds it already: the same situation
            }
            AtomicReference<Integer> health = new AtomicReference<>();
            AtomicReference<Integer> adminPort = new AtomicReference<>();
            CliRun r = CliRun.run(TestTypes.all(), d -> {
                try {
                    adminPort.set(d.admin().localAddress().getPort());
                    health.set(statusOf(d.admin().baseUrl() + "/healthz", d.adminTokens().getFirst().secret()));
                } catch (Exception e) {
                    throw new AssertionError(e);
                } finally {
                    d.requestStop();
                }
            }, "web", site.root().toString(), "--listen", "127.0.0.1:0", "--workers", "1");
            assertThat(r.status).as(r.toString()).isZero();
            assertThat(adminPort.get()).isNotEqualTo(defaultPort);
            assertThat(health.get()).isEqualTo(200);
            assertThat(r.out).contains("address 127.0.0.1:" + defaultPort + " is in use by another process; "
                    + "the admin endpoint moved to http://127.0.0.1:" + adminPort.get());
        } finally {
            if (other != null) {
                other.close();
            }
        }
    }

    @Test
    void aReloadRebindsAPortTheProcessAlreadyListensOn() throws Exception {
        TempSite site = new TempSite(dir.resolve("site")).file("index.html", "x");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Path config = dir.resolve("portico.yaml");
        Files.writeString(config, """
                admin: off
                workers: 2
                services:
                  site:
                    type: web
                    root: %s
                    listen: 127.0.0.1:%d
                """.formatted(site.root(), port));
        CliRun.runChecked(d -> {
            Files.writeString(config, """
                    admin: off
                    workers: 2
                    services:
                      site:
                        type: web
                        root: %s
                        listen: 0.0.0.0:%d
                    """.formatted(site.root(), port));
            // the new wildcard sockets open while the old 127.0.0.1 ones are still listening
            assertThat(d.reload()).isTrue();
            assertThat(d.supervisor().running().getFirst().service().endpoints())
                    .containsExactly("http://127.0.0.1:" + port + "/");
            try (HttpClient http = HttpClient.newHttpClient()) {
                assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("x");
            }
        }, "serve", "-c", config.toString());
    }
}
