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
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Purge and ban through the admin API of a running daemon with a caching proxy and a disk tier. */
@Timeout(60)
class CacheAdminTest {

    @TempDir
    Path dir;

    /** A started backend answering "n1", "n2"... (cacheable for 10 minutes), counting in {@code served}. */
    private static HttpServer countingBackend(AtomicInteger served) throws java.io.IOException {
        HttpServer backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        backend.createContext("/", ex -> {
            byte[] body = ("n" + served.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Cache-Control", "max-age=600");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        backend.start();
        return backend;
    }

    @Test
    void statsPurgeByKeyAndPrefixAndLazyBans() throws Exception {
        AtomicInteger served = new AtomicInteger();
        HttpServer backend = countingBackend(served);
        try (HttpClient http = HttpClient.newHttpClient()) {
            Path file = Files.writeString(dir.resolve("portico.yaml"), """
                    workers: 1
                    admin:
                      listen: 127.0.0.1:0
                      tokens:
                        - {token: writer, role: write}
                        - {token: reader, role: read}
                    services:
                      edge:
                        type: proxy
                        listen: [127.0.0.1:0]
                        backends: [127.0.0.1:%d]
                        cache: {memory_size: 1m, dir: cache, disk_size: 10m}
                    """.formatted(backend.getAddress().getPort()));
            CliRun.runChecked(d -> {
                Api writer = new Api(d.admin().baseUrl(), "writer");
                Api reader = new Api(d.admin().baseUrl(), "reader");
                dev.portico.proxy.ProxyService proxy = (dev.portico.proxy.ProxyService) d.supervisor().running()
                        .getFirst().service();
                String origin = "http://127.0.0.1:" + proxy.port();
                Fetch f = new Fetch(http, origin);
                assertThat(f.get("/a")).isEqualTo("MISS n1");
                assertThat(f.get("/a")).isEqualTo("HIT n1");
                await().until(() -> proxy.cache().stats().diskEntries() >= 2);

                JsonNode stats = reader.get("/api/v1/services/edge/cache").json();
                assertThat(stats.get("memory").get("entries").asLong()).isEqualTo(1);
                assertThat(stats.get("memory").get("limit").asLong()).isEqualTo(1L << 20);
                assertThat(stats.get("disk").get("entries").asLong()).isGreaterThanOrEqualTo(2);
                assertThat(stats.get("hits").asLong()).isEqualTo(1);
                assertThat(stats.get("misses").asLong()).isEqualTo(1);

                String body = "{\"key\":\"" + origin + "/a\"}";
                assertThat(reader.post("/api/v1/services/edge/cache/purge", body).status()).isEqualTo(403);
                Api.Answer purged = writer.post("/api/v1/services/edge/cache/purge", body);
                assertThat(purged.status()).isEqualTo(200);
                assertThat(purged.json().get("removed").asLong()).isEqualTo(1);
                assertThat(proxy.cache().stats().diskEntries()).isZero();
                assertThat(proxy.cache().stats().memoryEntries()).isZero();
                assertThat(f.get("/a")).isEqualTo("MISS n2");

                f.get("/p/1");
                f.get("/p/2");
                f.get("/q");
                Api.Answer prefix = writer.post("/api/v1/services/edge/cache/purge",
                        "{\"prefix\":\"" + origin + "/p/\"}");
                assertThat(prefix.json().get("removed").asLong()).isEqualTo(2);
                assertThat(f.get("/p/1")).startsWith("MISS");
                assertThat(f.get("/q")).startsWith("HIT");

                Api.Answer ban = writer.post("/api/v1/services/edge/cache/ban", "{\"prefix\":\"" + origin + "/q\"}");
                assertThat(ban.status()).isEqualTo(200);
                assertThat(ban.json().get("ban").asText()).isEqualTo("prefix:" + origin + "/q");
                assertThat(reader.get("/api/v1/services/edge/cache").json().get("bans").get(0).asText())
                        .isEqualTo("prefix:" + origin + "/q");
                assertThat(f.get("/q")).startsWith("MISS");
                assertThat(f.get("/q")).startsWith("HIT");
                assertThat(f.get("/a")).startsWith("HIT");
                assertThat(writer.post("/api/v1/services/edge/cache/ban", "{\"regex\":\"[\"}").status()).isEqualTo(400);
            }, "serve", "-c", file.toString());
        } finally {
            backend.stop(0);
        }
    }

    @Test
    void theSshConsoleShowsPurgesAndBansARealCache() throws Exception {
        AtomicInteger served = new AtomicInteger();
        HttpServer backend = countingBackend(served);
        try (HttpClient http = HttpClient.newHttpClient()) {
            Path file = Files.writeString(dir.resolve("portico.yaml"), """
                    workers: 1
                    services:
                      edge:
                        type: proxy
                        listen: [127.0.0.1:0]
                        backends: [127.0.0.1:%d]
                        cache: {memory_size: 1m}
                    """.formatted(backend.getAddress().getPort()));
            CliRun.runChecked(d -> {
                ConsoleCommands console = new ConsoleCommands(new DaemonControlPlane(d::supervisor, d::save));
                dev.portico.proxy.ProxyService proxy = (dev.portico.proxy.ProxyService) d.supervisor().running()
                        .getFirst().service();
                String origin = "http://127.0.0.1:" + proxy.port();
                Fetch f = new Fetch(http, origin);
                f.get("/a");
                f.get("/a");
                f.get("/p/1");
                f.get("/p/2");
                f.get("/q");
                assertThat(console.run("show cache edge").output()).contains("memory  4 entries", "disk    none",
                        "hits 1  misses 4", "no bans");
                assertThat(console.complete("purge ")).containsExactly("edge");

                assertThat(console.run("purge edge " + origin + "/a").output()).startsWith("purged " + origin + "/a");
                assertThat(f.get("/a")).startsWith("MISS");
                assertThat(console.run("purge-prefix edge " + origin + "/p/").output()).startsWith("purged 2 URLs");
                assertThat(f.get("/p/1")).startsWith("MISS");
                assertThat(console.run("ban edge " + origin + "/q").output())
                        .startsWith("edge: banned prefix:" + origin + "/q");
                assertThat(console.run("show cache edge").output()).contains("ban prefix:" + origin + "/q");
                assertThat(f.get("/q")).startsWith("MISS");
                assertThat(f.get("/q")).startsWith("HIT");
                assertThat(console.run("purge nope /x").output()).startsWith("error: ");
            }, "serve", "-c", file.toString());
        } finally {
            backend.stop(0);
        }
    }

    /** GETs through the proxy: "X-Cache body". */
    private record Fetch(HttpClient http, String origin) {
        String get(String path) throws Exception {
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(origin + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return res.headers().firstValue("x-cache").orElse("-") + " " + res.body();
        }
    }
}
