package dev.portico.server.cmd;

import dev.portico.core.net.HostPort;
import dev.portico.server.Cli;
import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.TestTypes;
import dev.portico.testing.RunningService;
import dev.portico.testing.TempSite;
import dev.portico.web.WebConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class WebCommandTest {

    @TempDir
    Path dir;

    private static HttpResponse<String> get(String url, String... headers) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
            if (headers.length > 0) {
                b.headers(headers);
            }
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void flagsBecomeAWebSectionAndTheSiteIsServed() throws Exception {
        TempSite site = new TempSite(dir.resolve("site")).file("index.html", "<h1>quick</h1>").file("big.txt", 20_000);
        Path accessLog = dir.resolve("access.log");
        AtomicReference<WebConfig> seen = new AtomicReference<>();
        AtomicReference<HttpResponse<String>> index = new AtomicReference<>();
        AtomicReference<HttpResponse<String>> gz = new AtomicReference<>();
        AtomicReference<Integer> health = new AtomicReference<>();
        CliRun r = CliRun.run(TestTypes.all(), (Daemon d) -> {
            try {
                seen.set((WebConfig) d.supervisor().running().getFirst().spec().config());
                int port = RunningService.addressOf(d.supervisor().running().getFirst().service()).getPort();
                index.set(get("http://127.0.0.1:" + port + "/"));
                gz.set(get("http://127.0.0.1:" + port + "/big.txt", "Accept-Encoding", "gzip"));
                assertThat(get(d.admin().baseUrl() + "/metrics").statusCode()).isEqualTo(401);
                health.set(get(d.admin().baseUrl() + "/healthz", "Authorization",
                        "Bearer " + d.adminTokens().getFirst().secret()).statusCode());
                await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(accessLog) && Files.size(accessLog) > 0);
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                d.requestStop();
            }
        }, "web", site.root().toString(), "--listen", "127.0.0.1:0", "--workers", "1", "--gzip",
                "--writers", "127.0.0.1,10.0.0.0/8", "--access-log", accessLog.toString(),
                "--admin", "127.0.0.1:0", "--log-level", "warn");

        assertThat(r.status).as(r.toString()).isZero();
        WebConfig c = seen.get();
        assertThat(c.root()).isEqualTo(site.root());
        assertThat(c.listen()).containsExactly(new HostPort("127.0.0.1", 0));
        assertThat(c.gzip().enabled()).isTrue();
        assertThat(c.webdav().enabled()).isTrue();
        assertThat(c.webdav().writers()).extracting(Object::toString).containsExactly("127.0.0.1", "10.0.0.0/8");
        assertThat(c.accessLog()).isEqualTo(accessLog);

        assertThat(index.get().statusCode()).isEqualTo(200);
        assertThat(index.get().body()).isEqualTo("<h1>quick</h1>");
        assertThat(gz.get().statusCode()).isEqualTo(200);
        assertThat(gz.get().headers().firstValue("content-encoding")).hasValue("gzip");
        assertThat(health.get()).isEqualTo(200);
        assertThat(Files.readString(accessLog)).contains("\"GET / HTTP/1.1\" 200");
        assertThat(r.out).contains("Portico ", "(portico web)", "  workers: 1", "  service web: http://127.0.0.1:",
                "  admin: http://127.0.0.1:");
    }

    @Test
    void withoutFlagsGzipAndWebdavStayOff() throws Exception {
        TempSite site = new TempSite(dir.resolve("site")).file("index.html", "x");
        AtomicReference<WebConfig> seen = new AtomicReference<>();
        CliRun r = CliRun.run(TestTypes.all(), (Daemon d) -> {
            seen.set((WebConfig) d.supervisor().running().getFirst().spec().config());
            d.requestStop();
        }, "web", site.root().toString(), "--listen", "127.0.0.1:0", "--admin", "off");
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(seen.get().gzip().enabled()).isFalse();
        assertThat(seen.get().webdav().enabled()).isFalse();
        assertThat(seen.get().accessLog()).isNull();
        assertThat(r.out).contains("  admin: off");
        // Port 8080 may be taken on a build machine; the default is checked without binding it.
        assertThat(WebCommand.DEFAULT_LISTEN).isEqualTo("0.0.0.0:8080");
    }

    @Test
    void badFlagValuesAreReportedAtTheFlag() {
        CliRun r = CliRun.run(TestTypes.all(), "web", dir.toString(), "--listen", "here", "--admin", "off");
        assertThat(r.status).isEqualTo(Cli.USAGE);
        assertThat(r.err).isEqualTo("--listen: bad 'services.web.listen': 'here' is not HOST:PORT: 'here' is not a port number\n");

        CliRun writers = CliRun.run(TestTypes.all(), "web", dir.toString(), "--writers", "10.0.0.0/99", "--admin", "off");
        assertThat(writers.status).isEqualTo(Cli.USAGE);
        assertThat(writers.err).startsWith("--writers: bad 'services.web.webdav.writers': '10.0.0.0/99' has a prefix length out of range");

        CliRun admin = CliRun.run(TestTypes.all(), "web", dir.toString(), "--listen", "127.0.0.1:0", "--admin", "x:y");
        assertThat(admin.status).isEqualTo(Cli.USAGE);
        assertThat(admin.err).contains("--admin: 'x:y' is not HOST:PORT");

        CliRun level = CliRun.run(TestTypes.all(), "web", dir.toString(), "--log-level", "loud");
        assertThat(level.status).isEqualTo(Cli.USAGE);
        assertThat(level.err).contains("--log-level: 'loud' is not one of [trace, debug, info, warn, error, off]");
    }

    @Test
    void aMissingRootIsRefused() {
        CliRun r = CliRun.run(TestTypes.all(), "web", dir.resolve("nope").toString());
        assertThat(r.status).isEqualTo(Cli.FAILED);
        assertThat(r.err).contains("is not a directory");
    }

    @Test
    void aPortInUseFailsWithTheAddress() throws Exception {
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CliRun r = CliRun.run(TestTypes.all(), "web", dir.toString(), "--admin", "127.0.0.1:" + taken.getLocalPort(),
                    "--listen", "127.0.0.1:0");
            assertThat(r.status).isEqualTo(Cli.FAILED);
            assertThat(r.err).contains("admin endpoint: address 127.0.0.1:" + taken.getLocalPort() + " is in use by another process",
                    "--admin off");
            assertThat(List.of(r.out)).noneMatch(o -> o.contains("Ready."));
        }
    }
}
