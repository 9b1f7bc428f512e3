package dev.portico.server.cmd;

import dev.portico.core.net.HostPort;
import dev.portico.server.Cli;
import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.TestTypes;
import dev.portico.testing.LineClient;
import dev.portico.testing.RunningService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class WebCommandTest {

    @TempDir
    Path root;

    @Test
    void flagsBecomeAWebSectionAndTheServiceRuns() throws Exception {
        AtomicReference<TestTypes.FakeWebConfig> seen = new AtomicReference<>();
        AtomicReference<String> reply = new AtomicReference<>();
        AtomicReference<Integer> adminStatus = new AtomicReference<>();
        CliRun r = CliRun.run(TestTypes.all(), (Daemon d) -> {
            try {
                seen.set((TestTypes.FakeWebConfig) d.supervisor().running().getFirst().spec().config());
                int port = RunningService.addressOf(d.supervisor().running().getFirst().service()).getPort();
                reply.set(LineClient.ask(port, "hi", Duration.ofSeconds(5)));
                try (HttpClient http = HttpClient.newHttpClient()) {
                    adminStatus.set(http.send(HttpRequest.newBuilder(URI.create(d.admin().baseUrl() + "/healthz")).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode());
                }
                assertThat(d.config().workers()).isEqualTo(1);
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                d.requestStop();
            }
        }, "web", root.toString(), "--listen", "127.0.0.1:0", "--workers", "1", "--gzip", "--webdav",
                "--writers", "127.0.0.1,10.0.0.0/8", "--access-log", root.resolve("access.log").toString(),
                "--admin", "127.0.0.1:0", "--log-level", "warn");

        assertThat(r.status).as(r.toString()).isZero();
        assertThat(seen.get()).isEqualTo(new TestTypes.FakeWebConfig(root.toString(), new HostPort("127.0.0.1", 0),
                true, true, List.of("127.0.0.1", "10.0.0.0/8"), root.resolve("access.log").toString()));
        assertThat(reply.get()).isEqualTo("web hi");
        assertThat(adminStatus.get()).isEqualTo(200);
        assertThat(r.out).contains("Portico ", "(portico web)", "  workers: 1", "  service web (web): tcp://127.0.0.1:",
                "  admin: http://127.0.0.1:");
    }

    @Test
    void defaultsAreTheCurrentDirectoryAndPort8080WithoutOptionalKeys() throws Exception {
        AtomicReference<TestTypes.FakeWebConfig> seen = new AtomicReference<>();
        // Port 8080 may be taken on a build machine, so the listen address comes from a flag here and
        // the default is checked through the help text.
        CliRun r = CliRun.run(TestTypes.all(), (Daemon d) -> {
            seen.set((TestTypes.FakeWebConfig) d.supervisor().running().getFirst().spec().config());
            d.requestStop();
        }, "web", "--listen", "127.0.0.1:0", "--admin", "off");
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(seen.get().root()).isEqualTo(".");
        assertThat(seen.get().gzip()).isFalse();
        assertThat(seen.get().writers()).isEmpty();
        assertThat(seen.get().accessLog()).isNull();
        assertThat(r.out).contains("  admin: off");
        assertThat(WebCommand.DEFAULT_LISTEN).isEqualTo("0.0.0.0:8080");
    }

    @Test
    void badFlagValuesAreReportedAtTheFlag() {
        CliRun r = CliRun.run(TestTypes.all(), "web", root.toString(), "--listen", "here", "--admin", "off");
        assertThat(r.status).isEqualTo(Cli.USAGE);
        assertThat(r.err).isEqualTo("--listen: bad 'services.web.listen': 'here' is not HOST:PORT: 'here' is not a port number\n");

        CliRun admin = CliRun.run(TestTypes.all(), "web", root.toString(), "--listen", "127.0.0.1:0", "--admin", "x:y");
        assertThat(admin.status).isEqualTo(Cli.USAGE);
        assertThat(admin.err).contains("--admin: 'x:y' is not HOST:PORT");

        CliRun level = CliRun.run(TestTypes.all(), "web", root.toString(), "--log-level", "loud");
        assertThat(level.status).isEqualTo(Cli.USAGE);
        assertThat(level.err).contains("--log-level: 'loud' is not one of [trace, debug, info, warn, error, off]");
    }

    @Test
    void aMissingRootIsRefused() {
        CliRun r = CliRun.run(TestTypes.all(), "web", root.resolve("nope").toString());
        assertThat(r.status).isEqualTo(Cli.FAILED);
        assertThat(r.err).contains("is not a directory");
    }

    @Test
    void aPortInUseFailsWithTheAddress() throws Exception {
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CliRun r = CliRun.run(TestTypes.all(), "web", root.toString(), "--admin", "127.0.0.1:" + taken.getLocalPort(),
                    "--listen", "127.0.0.1:0");
            assertThat(r.status).isEqualTo(Cli.FAILED);
            assertThat(r.err).contains("admin endpoint: cannot listen on 127.0.0.1:" + taken.getLocalPort(), "--admin off");
        }
    }
}
