package dev.portico.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.portico.admin.ssh.ConsoleCommands;
import dev.portico.server.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A proxy's pools and their hosts, as the admin API and the SSH console show them. */
@Timeout(60)
class ProxyPoolsApiTest {

    @TempDir
    Path dir;

    private static HttpServer backend() throws java.io.IOException {
        HttpServer backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        backend.createContext("/", ex -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        backend.start();
        return backend;
    }

    @Test
    void everyPoolIsListedWithItsHostsHealthAndCounters() throws Exception {
        HttpServer live = backend();
        HttpServer dying = backend();
        int livePort = live.getAddress().getPort();
        int dyingPort = dying.getAddress().getPort();
        try (HttpClient http = HttpClient.newHttpClient()) {
            Path file = Files.writeString(dir.resolve("portico.yaml"), """
                    workers: 1
                    admin:
                      listen: 127.0.0.1:0
                      tokens:
                        - {token: reader, role: read}
                        - {token: writer, role: write}
                    services:
                      edge:
                        type: proxy
                        listen: [127.0.0.1:0]
                        pools:
                          "*": {backends: [127.0.0.1:%d], health: "tcp"}
                          api.example.test: {backends: [127.0.0.1:%d, 127.0.0.1:%d], health: "tcp", scheduler: urlhash}
                    """.formatted(livePort, livePort, dyingPort));
            CliRun.runChecked(d -> {
                Api reader = new Api(d.admin().baseUrl(), "reader");
                dev.portico.proxy.ProxyService proxy = (dev.portico.proxy.ProxyService) d.supervisor().running()
                        .getFirst().service();
                HttpResponse<String> res = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + proxy.port() + "/x"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(res.body()).isEqualTo("ok");

                JsonNode edge = reader.get("/api/v1/services/edge").json();
                assertThat(edge.get("type").asText()).isEqualTo("proxy");
                assertThat(edge.get("scheduler").isNull()).isTrue();
                JsonNode pools = edge.get("groups");
                assertThat(pools).hasSize(2);
                assertThat(pools.get(0).get("name").asText()).isEqualTo("*");
                assertThat(pools.get(1).get("name").asText()).isEqualTo("api.example.test");
                JsonNode first = pools.get(0).get("hosts").get(0);
                assertThat(first.get("address").asText()).isEqualTo("127.0.0.1:" + livePort);
                assertThat(first.get("admin").asText()).isEqualTo("enabled");
                assertThat(first.get("total").asLong()).isEqualTo(1);
                assertThat(pools.get(1).get("hosts")).hasSize(2);
                await().until(() -> health(reader, 1, 1).equals("up"));

                dying.stop(0);
                await().atMost(Duration.ofSeconds(20)).until(() -> health(reader, 1, 1).equals("down"));
                assertThat(health(reader, 0, 0)).isEqualTo("up");

                ConsoleCommands console = new ConsoleCommands(new DaemonControlPlane(d::supervisor, d::save));
                String shown = console.run("show service edge").output();
                assertThat(shown).contains("pool *", "pool api.example.test", "127.0.0.1:" + dyingPort)
                        .doesNotContain("(active)");

                // Hosts of a pool are disabled, drained and enabled like an lb's.
                Api writer = new Api(d.admin().baseUrl(), "writer");
                String liveHost = "/api/v1/services/edge/groups/*/hosts/127.0.0.1:" + livePort;
                assertThat(reader.post(liveHost + "/disable", null).status()).isEqualTo(403);
                Api.Answer disabled = writer.post(liveHost + "/disable", null);
                assertThat(disabled.status()).isEqualTo(200);
                assertThat(disabled.json().get("admin").asText()).isEqualTo("disabled");
                assertThat(get(http, proxy.port(), "/y").statusCode()).isEqualTo(503);
                assertThat(writer.post(liveHost + "/weight", "{\"weight\":3}").json().get("weight").asInt()).isEqualTo(3);

                // A reload rebuilds the pools from the file; a host that stays keeps its state.
                assertThat(d.reload()).isTrue();
                assertThat(reader.get(liveHost).json().get("admin").asText()).isEqualTo("disabled");
                assertThat(reader.get(liveHost).json().get("weight").asInt()).isEqualTo(3);
                assertThat(writer.post(liveHost + "/enable", null).json().get("admin").asText()).isEqualTo("enabled");
                assertThat(get(http, proxy.port(), "/z").body()).isEqualTo("ok");

                // The console names a host by one word when it is in one place only.
                assertThat(console.run("drain 127.0.0.1:" + dyingPort).output())
                        .startsWith("edge api.example.test 127.0.0.1:" + dyingPort + ": draining");
                assertThat(console.run("drain 127.0.0.1:" + livePort).output()).contains("several places");
                assertThat(console.run("enable edge api.example.test 127.0.0.1:" + dyingPort).output())
                        .contains(": enabled");

                // The pools themselves come from the config.
                assertThat(writer.post("/api/v1/services/edge/groups/*/hosts", "{\"address\":\"127.0.0.1:1\"}").status())
                        .isEqualTo(400);
                assertThat(writer.post("/api/v1/services/edge/groups/nope/hosts/127.0.0.1:1/disable", null).status())
                        .isEqualTo(404);
            }, "serve", "-c", file.toString());
        } finally {
            live.stop(0);
            dying.stop(0);
        }
    }

    @Test
    void aHostThatFailsARequestShowsTheRetryItCaused() throws Exception {
        HttpServer live = backend();
        // A backend that reads a request and closes the connection without answering.
        java.net.ServerSocket closer = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!closer.isClosed()) {
                try (java.net.Socket c = closer.accept()) {
                    c.getInputStream().read(new byte[4096]);
                } catch (java.io.IOException e) {
                    return;
                }
            }
        });
        try (closer; HttpClient http = HttpClient.newHttpClient()) {
            Path file = Files.writeString(dir.resolve("portico.yaml"), """
                    workers: 1
                    admin:
                      listen: 127.0.0.1:0
                      tokens: [{token: reader, role: read}]
                    services:
                      edge:
                        type: proxy
                        listen: [127.0.0.1:0]
                        pools:
                          "*": {backends: [127.0.0.1:%d, 127.0.0.1:%d], scheduler: roundrobin}
                    """.formatted(closer.getLocalPort(), live.getAddress().getPort()));
            CliRun.runChecked(d -> {
                Api reader = new Api(d.admin().baseUrl(), "reader");
                dev.portico.proxy.ProxyService proxy = (dev.portico.proxy.ProxyService) d.supervisor().running()
                        .getFirst().service();
                for (int i = 0; i < 2; i++) {
                    assertThat(get(http, proxy.port(), "/" + i).body()).isEqualTo("ok");
                }
                JsonNode failing = reader.get("/api/v1/services/edge/groups/*/hosts/127.0.0.1:" + closer.getLocalPort())
                        .json();
                // Whichever backend the scheduler tried first, the failing one got one request at least.
                assertThat(failing.get("retries").asLong()).isPositive();
                assertThat(failing.get("failed").asLong()).isEqualTo(failing.get("retries").asLong());
            }, "serve", "-c", file.toString());
        } finally {
            live.stop(0);
        }
    }

    private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String health(Api api, int pool, int host) throws Exception {
        return api.get("/api/v1/services/edge").json().get("groups").get(pool).get("hosts").get(host).get("health")
                .asText();
    }
}
