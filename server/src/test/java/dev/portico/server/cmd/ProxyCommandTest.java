package dev.portico.server.cmd;

import dev.portico.proxy.ProxyService;
import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.Main;
import dev.portico.server.control.Api;
import dev.portico.server.control.NamedBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class ProxyCommandTest {

    @Test
    void proxiesRealHttpTrafficOverTheBackends() throws Exception {
        try (NamedBackend one = new NamedBackend("one"); NamedBackend two = new NamedBackend("two")) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
                try {
                    ProxyService proxy = (ProxyService) d.supervisor().running().getFirst().service();
                    String url = "http://127.0.0.1:" + proxy.port() + "/";
                    Set<String> seen = new HashSet<>();
                    for (int i = 0; i < 4; i++) {
                        seen.add(Api.fetch(url));
                    }
                    assertThat(seen).containsExactlyInAnyOrder("one", "two");
                } catch (Throwable e) {
                    failure.set(e);
                } finally {
                    d.requestStop();
                }
            }, "proxy", "--listen", "127.0.0.1:0", "--backend", one.address(), "--backend", two.address(),
                    "--admin", "off", "--workers", "1");
            assertThat(failure.get()).as(r.toString()).isNull();
            assertThat(r.status).as(r.toString()).isZero();
            assertThat(r.out).contains("service proxy: http://127.0.0.1:");
        }
    }

    @Test
    void cacheFlagsMakeACachingProxyWithADiskTier(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        com.sun.net.httpserver.HttpServer backend = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 50);
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        backend.createContext("/", ex -> {
            byte[] body = ("n" + served.incrementAndGet()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Cache-Control", "max-age=600");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        backend.start();
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
                try {
                    ProxyService proxy = (ProxyService) d.supervisor().running().getFirst().service();
                    assertThat(proxy.cache().config().memorySize()).isEqualTo(2L << 20);
                    assertThat(proxy.cache().config().diskSize()).isEqualTo(8L << 20);
                    assertThat(proxy.cache().hasDisk()).isTrue();
                    java.net.URI url = java.net.URI.create("http://127.0.0.1:" + proxy.port() + "/x");
                    for (String expected : new String[] {"MISS", "HIT"}) {
                        java.net.http.HttpResponse<String> res = http.send(java.net.http.HttpRequest.newBuilder(url)
                                .timeout(java.time.Duration.ofSeconds(5)).build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                        assertThat(res.headers().firstValue("x-cache")).hasValue(expected);
                        assertThat(res.body()).isEqualTo("n1");
                    }
                } catch (Throwable e) {
                    failure.set(e);
                } finally {
                    d.requestStop();
                }
            }, "proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:" + backend.getAddress().getPort(),
                    "--cache-size", "2m", "--cache-dir", dir.resolve("cache").toString(), "--cache-disk-size", "8m",
                    "--admin", "off", "--workers", "1");
            assertThat(failure.get()).as(r.toString()).isNull();
            assertThat(r.status).as(r.toString()).isZero();
            assertThat(java.nio.file.Files.isDirectory(dir.resolve("cache"))).isTrue();
        } finally {
            backend.stop(0);
        }
    }

    @Test
    void defaultTtlCachesBackendsThatSendNoFreshnessButNeverPrivateAnswers() throws Exception {
        com.sun.net.httpserver.HttpServer backend = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 50);
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        backend.createContext("/", ex -> {
            byte[] body = ("n" + served.incrementAndGet()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            switch (ex.getRequestURI().getPath()) {
                case "/cookie" -> ex.getResponseHeaders().set("Set-Cookie", "id=1");
                case "/private" -> ex.getResponseHeaders().set("Cache-Control", "private");
                case "/no-store" -> ex.getResponseHeaders().set("Cache-Control", "no-store");
                default -> {
                    // no freshness information at all, as many backends send
                }
            }
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        backend.start();
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
                try {
                    ProxyService proxy = (ProxyService) d.supervisor().running().getFirst().service();
                    String base = "http://127.0.0.1:" + proxy.port();
                    java.util.function.BiFunction<String, String[], String> cacheOf = (path, headers) -> {
                        try {
                            java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(
                                    java.net.URI.create(base + path)).timeout(java.time.Duration.ofSeconds(5));
                            if (headers.length > 0) {
                                b.headers(headers);
                            }
                            return http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                                    .headers().firstValue("x-cache").orElse("none");
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    };
                    assertThat(cacheOf.apply("/plain", new String[0])).isEqualTo("MISS");
                    assertThat(cacheOf.apply("/plain", new String[0])).isEqualTo("HIT");
                    for (String path : new String[] {"/cookie", "/private", "/no-store"}) {
                        cacheOf.apply(path, new String[0]);
                        assertThat(cacheOf.apply(path, new String[0])).as(path).isNotEqualTo("HIT");
                    }
                    String[] auth = {"Authorization", "Bearer secret"};
                    cacheOf.apply("/authorized", auth);
                    assertThat(cacheOf.apply("/authorized", auth)).isNotEqualTo("HIT");
                    assertThat(cacheOf.apply("/authorized", new String[0])).isNotEqualTo("HIT");
                } catch (Throwable e) {
                    failure.set(e);
                } finally {
                    d.requestStop();
                }
            }, "proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:" + backend.getAddress().getPort(),
                    "--default-ttl", "10s", "--admin", "off", "--workers", "1");
            assertThat(failure.get()).as(r.toString()).isNull();
            assertThat(r.status).as(r.toString()).isZero();
        } finally {
            backend.stop(0);
        }
    }
}
