package dev.portico.web;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Reload, access log, metrics and persistence across restarts. */
@Timeout(30)
class WebServerLifecycleTest {

    @TempDir
    Path dir;
    Path root;
    WebHarness web;

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createDirectories(dir.resolve("www"));
        Files.writeString(root.resolve("a.txt"), "alpha");
        web = new WebHarness();
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    @Test
    void reconfigureMovesListenersWithoutDroppingOpenConnections(@TempDir Path other) throws Exception {
        Files.writeString(other.resolve("a.txt"), "beta");
        web.start(WebConfig.builder().root(root));
        int oldPort = web.port();
        try (Socket kept = web.socket()) {
            assertThat(WebHarness.exchange(kept, "GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n", "alpha")).contains("200 OK");
            int free;
            try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                free = probe.getLocalPort();
            }
            web.server.reconfigure(WebConfig.builder().root(other).listen("127.0.0.1:" + free).build());
            int newPort = web.port();
            assertThat(newPort).isNotEqualTo(oldPort);
            // the old listener is closed, the open connection lives on and sees the new root
            assertThat(WebHarness.exchange(kept, "GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n", "beta")).contains("200 OK");
            assertThat(web.get("/a.txt").body()).isEqualTo("beta");
            boolean refused;
            try (Socket s = new Socket("127.0.0.1", oldPort)) {
                refused = false;
            } catch (java.io.IOException e) {
                refused = true;
            }
            assertThat(refused).isTrue();
        }
    }

    @Test
    void accessLogIsCombinedFormat() throws Exception {
        Path log = dir.resolve("logs/access.log");
        web.start(WebConfig.builder().root(root).accessLog(log));
        web.get("/a.txt", "User-Agent", "tester/1.0", "Referer", "http://ref.test/");
        web.get("/missing");
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log) && Files.readAllLines(log).size() >= 2);
        List<String> lines = Files.readAllLines(log);
        assertThat(lines.get(0)).matches("127\\.0\\.0\\.1 - - \\[[^]]+] \"GET /a\\.txt HTTP/1\\.1\" 200 \\d+ "
                + "\"http://ref\\.test/\" \"tester/1\\.0\"");
        assertThat(lines.get(1)).contains("\"GET /missing HTTP/1.1\" 404 ");
    }

    @Test
    void metricsCountRequestsBytesAndCache() throws Exception {
        web.start(WebConfig.builder().root(root));
        web.get("/a.txt");
        web.get("/a.txt");
        web.get("/missing");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(web.meters.get("portico_http_requests").tag("status", "2xx").counter().count()).isEqualTo(2);
            assertThat(web.meters.get("portico_http_requests").tag("status", "4xx").counter().count()).isEqualTo(1);
            assertThat(web.meters.get("portico_web_cache_hits").counter().count()).isEqualTo(1);
            assertThat(web.meters.get("portico_web_cache_misses").counter().count()).isEqualTo(2);
            assertThat(web.meters.get("portico_http_response_bytes").summary().totalAmount()).isPositive();
            assertThat(web.meters.get("portico_http_request_duration").timer().count()).isEqualTo(3);
        });
        assertThat(web.meters.get("portico_http_connections_open").gauge().value()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void gzipVariantsSurviveARestart() throws Exception {
        String text = "restart ".repeat(30_000);
        Files.writeString(root.resolve("big.txt"), text);
        Path gzDir = dir.resolve("gz");
        WebConfig cfg = WebConfig.builder().root(root).listen("127.0.0.1:0")
                .gzip(new WebConfig.Gzip(true, WebConfig.Gzip.DEFAULT_TYPES, 100, 10L << 20, 6, gzDir)).build();
        web.start(cfg);
        HttpResponse<byte[]> first = web.getBytes("/big.txt", "Accept-Encoding", "gzip");
        assertThat(first.headers().firstValue("transfer-encoding")).hasValue("chunked");
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            try (Stream<Path> s = Files.list(gzDir)) {
                return s.anyMatch(p -> p.getFileName().toString().endsWith(".gz") && !p.getFileName().toString().startsWith(".tmp"));
            }
        });
        web.server.stop(Duration.ofSeconds(1));
        web.server = new WebServer("again", cfg, web.context);
        web.server.start();
        HttpResponse<byte[]> second = web.getBytes("/big.txt", "Accept-Encoding", "gzip");
        assertThat(second.headers().firstValue("content-length")).isPresent();
        assertThat(StaticFilesTest.gunzip(second.body())).isEqualTo(text);
        // a changed source is never answered from the old variant
        Files.writeString(root.resolve("big.txt"), text + "more");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(StaticFilesTest.gunzip(web.getBytes("/big.txt", "Accept-Encoding", "gzip").body())).isEqualTo(text + "more"));
    }

    @Test
    void stopFinishesInFlightAndRefusesNew() throws Exception {
        web.start(WebConfig.builder().root(root));
        int port = web.port();
        try (Socket idle = web.socket()) {
            WebHarness.exchange(idle, "GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n", "alpha");
            web.server.stop(Duration.ofSeconds(2));
            assertThat(idle.getInputStream().read()).isEqualTo(-1);
        }
        boolean refused;
        try (Socket s = new Socket("127.0.0.1", port)) {
            refused = false;
        } catch (java.io.IOException e) {
            refused = true;
        }
        assertThat(refused).isTrue();
        web.server = null;
    }
}
