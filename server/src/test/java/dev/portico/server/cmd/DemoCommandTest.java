package dev.portico.server.cmd;

import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.lb.LbService;
import dev.portico.server.Main;
import dev.portico.server.control.Api;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void extractsEveryListedFile() throws Exception {
        Path root = DemoCommand.extract(dir.resolve("site"));
        assertThat(DemoCommand.files()).contains("index.html", "style.css", "docs/large.txt");
        for (String f : DemoCommand.files()) {
            assertThat(root.resolve(f)).isRegularFile();
        }
        assertThat(Files.readString(root.resolve("index.html"))).contains("<title>Portico demo</title>");
        assertThat(Files.size(root.resolve("docs/large.txt"))).isGreaterThan(32 * 1024);
    }

    @Test
    void servesTheSiteWithGzipAndPrintsTheUrls() {
        AtomicReference<WebConfig> seen = new AtomicReference<>();
        AtomicReference<HttpResponse<String>> index = new AtomicReference<>();
        AtomicReference<HttpResponse<byte[]>> large = new AtomicReference<>();
        Set<String> balanced = new HashSet<>();
        AtomicReference<String> services = new AtomicReference<>();
        AtomicReference<String> proxiedBody = new AtomicReference<>();
        Set<String> wwwAnswers = new HashSet<>();
        AtomicReference<HttpResponse<String>> secureIndex = new AtomicReference<>();
        Path ca = dir.resolve("state/tls/self-signed/ca.pem");
        CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
            try (HttpClient http = HttpClient.newHttpClient();
                 HttpClient https = HttpClient.newBuilder().sslContext(dev.portico.testing.TestPki.trusting(ca)).build()) {
                seen.set((WebConfig) d.supervisor().running().getFirst().spec().config());
                String base = d.supervisor().running().getFirst().service().endpoints().getFirst();
                index.set(http.send(HttpRequest.newBuilder(URI.create(base)).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString()));
                String secure = d.supervisor().running().getFirst().service().endpoints().stream()
                        .filter(u -> u.startsWith("https://")).findFirst().orElseThrow();
                secureIndex.set(https.send(HttpRequest.newBuilder(URI.create(secure)).timeout(Duration.ofSeconds(5))
                        .build(), HttpResponse.BodyHandlers.ofString()));
                large.set(http.send(HttpRequest.newBuilder(URI.create(base + "docs/large.txt"))
                        .header("Accept-Encoding", "gzip").timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofByteArray()));
                LbService lb = (LbService) service(d, "balanced");
                dev.portico.proxy.ProxyService proxy = (dev.portico.proxy.ProxyService) service(d, "proxied");
                proxiedBody.set(Api.fetch("http://127.0.0.1:" + proxy.port() + "/"));
                // the banner's  curl -sI .../style.css | grep X-Cache  (HEADs): MISS, then HIT
                java.util.List<String> headXcache = new java.util.ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    HttpResponse<Void> head = http.send(HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + proxy.port() + "/style.css"))
                            .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.discarding());
                    headXcache.add(head.headers().firstValue("x-cache").orElse("none"));
                    assertThat(head.headers().firstValue("content-length")).isPresent();
                }
                assertThat(headXcache).containsExactly("MISS", "HIT");
                java.util.List<String> xcache = new java.util.ArrayList<>();
                for (String path : java.util.List.of("/", "/", "/style.css", "/style.css")) {
                    xcache.add(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + path))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString())
                            .headers().firstValue("x-cache").orElse("none"));
                }
                assertThat(xcache).containsExactly("MISS", "MISS", "HIT", "HIT");
                dev.portico.dns.DnsService dns = (dev.portico.dns.DnsService) service(d, "names");
                org.xbill.DNS.SimpleResolver resolver = new org.xbill.DNS.SimpleResolver(dns.localAddresses().getFirst());
                resolver.setTimeout(Duration.ofSeconds(5));
                org.xbill.DNS.Message m = resolver.send(org.xbill.DNS.Message.newQuery(org.xbill.DNS.Record.newRecord(
                        org.xbill.DNS.Name.fromString("www.demo.test."), org.xbill.DNS.Type.A, org.xbill.DNS.DClass.IN)));
                for (org.xbill.DNS.Record rec : m.getSection(org.xbill.DNS.Section.ANSWER)) {
                    wwwAnswers.add(((org.xbill.DNS.ARecord) rec).getAddress().getHostAddress());
                }
                for (int i = 0; i < 4; i++) {
                    balanced.add(Api.fetch("http://127.0.0.1:" + lb.port() + "/").replaceAll("(?s).*<h1>(.*)</h1>.*", "$1"));
                }
                Api api = new Api(d.admin().baseUrl(), Files.readString(d.adminTokens().getFirst().file()).strip());
                services.set(api.get("/api/v1/services").json().toString());
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                d.requestStop();
            }
        }, "demo", "--dir", dir.resolve("demo").toString(), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--lb-listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--dns-listen", "127.0.0.1:0", "--fs-listen", "127.0.0.1:0",
                "--https-listen", "127.0.0.3:0", "--state-dir", dir.resolve("state").toString());

        assertThat(r.status).as(r.toString()).isZero();
        assertThat(seen.get().gzip().enabled()).isTrue();
        assertThat(seen.get().root()).isEqualTo(dir.resolve("demo"));
        assertThat(index.get().statusCode()).isEqualTo(200);
        assertThat(index.get().body()).contains("Portico is running");
        assertThat(secureIndex.get().body()).isEqualTo(index.get().body());
        assertThat(r.out).contains("HTTPS: https://127.0.0.3:", "its development CA is " + ca,
                "  try: curl --cacert " + ca + " https://127.0.0.3:", "Admin API: http://127.0.0.1:");
        assertThat(large.get().headers().firstValue("content-encoding")).hasValue("gzip");
        assertThat(large.get().body().length).isLessThan(54_000 / 4);
        assertThat(r.out).contains("Demo site: " + dir.resolve("demo"), "Open http://127.0.0.1:", "in a browser.",
                "Metrics: http://127.0.0.1:",
                "style.css | grep X-Cache   # run twice: MISS, then HIT");
        assertThat(DemoCommand.DEFAULT_LISTEN).isEqualTo("127.0.0.1:8080");
        assertThat(balanced).containsExactlyInAnyOrder("Backend 1 answered", "Backend 2 answered");
        assertThat(services.get()).contains("\"name\":\"site\"", "\"name\":\"backend-1\"", "\"name\":\"balanced\"",
                "\"active_group\":\"main\"");
        assertThat(proxiedBody.get()).contains("answered");
        assertThat(wwwAnswers).containsExactlyInAnyOrder("127.0.0.11", "127.0.0.12");
        assertThat(r.out).contains("Proxied: http://127.0.0.1:", "64 MiB memory cache", "DNS: dns udp+tcp 127.0.0.1:", "dig @127.0.0.1 -p ");
        assertThat(r.out).contains("Balanced: http://127.0.0.1:", "Admin API: http://127.0.0.1:",
                "/api/v1/services", "curl -H \"Authorization: Bearer $(cat ");
    }

    @Test
    void theFailoverRecordDropsABackendStoppedThroughTheApiAndTakesItBack() {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
            try {
                dev.portico.dns.DnsService dns = (dev.portico.dns.DnsService) service(d, "names");
                Api api = new Api(d.admin().baseUrl(), Files.readString(d.adminTokens().getFirst().file()).strip());
                String backend = api.get("/api/v1/services/backend-1").json().get("listeners").get(0).asText();
                assertThat(backend).startsWith("127.0.0.11:");
                await().atMost(Duration.ofSeconds(20)).until(() -> www(dns).size() == 2);
                assertThat(www(dns)).containsExactlyInAnyOrder("127.0.0.11", "127.0.0.12");

                assertThat(api.call("DELETE", "/api/v1/services/backend-1/listeners/" + backend, null).status())
                        .isEqualTo(200);
                await().atMost(Duration.ofSeconds(20)).until(() -> www(dns).equals(java.util.List.of("127.0.0.12")));
                com.fasterxml.jackson.databind.JsonNode first = api.get(
                        "/api/v1/services/names/records/www.demo.test/addresses/127.0.0.11").json();
                assertThat(first.get("health").asText()).isEqualTo("down");
                assertThat(first.get("answered").asBoolean()).isFalse();

                assertThat(api.post("/api/v1/services/backend-1/listeners", "{\"address\":\"" + backend + "\"}")
                        .status()).isEqualTo(201);
                await().atMost(Duration.ofSeconds(20)).until(() -> www(dns).size() == 2);
                assertThat(www(dns)).containsExactlyInAnyOrder("127.0.0.11", "127.0.0.12");
                assertThat(Api.fetch("http://" + backend + "/")).contains("Backend 1 answered");

                // The dns service's listeners change live too: a second one answers, the first
                // closes, and the last one stays.
                String firstListener = api.get("/api/v1/services/names").json().get("listeners").get(0).asText();
                Api.Answer opened = api.post("/api/v1/services/names/listeners", "{\"address\":\"127.0.0.2:0\"}");
                assertThat(opened.status()).as(opened.toString()).isEqualTo(201);
                dev.portico.core.net.HostPort second = dev.portico.core.net.HostPort.parse(
                        opened.json().get("listening").asText());
                assertThat(second.host()).isEqualTo("127.0.0.2");
                java.net.InetSocketAddress secondAddress = new java.net.InetSocketAddress(second.host(), second.port());
                assertThat(www(secondAddress)).containsExactlyInAnyOrder("127.0.0.11", "127.0.0.12");
                assertThat(api.call("DELETE", "/api/v1/services/names/listeners/" + firstListener, null).status()).isEqualTo(200);
                assertThat(dns.localAddresses()).containsExactly(secondAddress);
                Api.Answer last = api.call("DELETE", "/api/v1/services/names/listeners/" + second, null);
                assertThat(last.status()).isEqualTo(409);
                assertThat(last.json().get("error").asText()).contains("at least one listen address");
                assertThat(www(secondAddress)).hasSize(2);
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                d.requestStop();
            }
        }, "demo", "--dir", dir.resolve("demo").toString(), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--lb-listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--dns-listen", "127.0.0.1:0", "--fs-listen", "127.0.0.1:0",
                "--https-listen", "127.0.0.3:0", "--state-dir", dir.resolve("state").toString());
        assertThat(failure.get()).as(r.toString()).isNull();
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(r.out).contains("Watch www.demo.test fail over", "watch -n1 dig +short @127.0.0.1 -p ",
                "stop backend 1:   curl -H \"Authorization: Bearer $(cat ", "-X DELETE http://127.0.0.1:",
                "/api/v1/services/backend-1/listeners/127.0.0.11:", "start it again:   curl",
                "-X POST http://127.0.0.1:", "-d '{\"address\":\"127.0.0.11:");
    }

    /** What www.demo.test answers now, over UDP. */
    private static java.util.List<String> www(dev.portico.dns.DnsService dns) throws Exception {
        return www(dns.localAddresses().getFirst());
    }

    private static java.util.List<String> www(java.net.InetSocketAddress server) throws Exception {
        org.xbill.DNS.SimpleResolver resolver = new org.xbill.DNS.SimpleResolver(server);
        resolver.setTimeout(Duration.ofSeconds(5));
        org.xbill.DNS.Message m = resolver.send(org.xbill.DNS.Message.newQuery(org.xbill.DNS.Record.newRecord(
                org.xbill.DNS.Name.fromString("www.demo.test."), org.xbill.DNS.Type.A, org.xbill.DNS.DClass.IN)));
        return m.getSection(org.xbill.DNS.Section.ANSWER).stream().map(org.xbill.DNS.Record::rdataToString).toList();
    }

    @Test
    void backendPagesNameTheServiceTheyCameThroughAndTheTemporaryFilesGoOnExit() {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Path> site = new AtomicReference<>();
        CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
            try {
                site.set(((dev.portico.web.WebServer) service(d, "site")).config().root());
                assertThat(site.get()).exists();
                int lb = ((LbService) service(d, "balanced")).port();
                int proxy = ((dev.portico.proxy.ProxyService) service(d, "proxied")).port();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    String viaLb = Api.fetch("http://127.0.0.1:" + lb + "/");
                    assertThat(viaLb).contains("\"" + lb + "\": \"the <code>balanced</code> lb service (TCP, round robin)\"",
                            "\"" + proxy + "\": \"the <code>proxied</code> HTTP reverse proxy (with a cache)\"",
                            "This page came through the <code>balanced</code> lb service (TCP, round robin) (port " + lb
                                    + ") or the <code>proxied</code> HTTP reverse proxy (with a cache) (port " + proxy + ")");
                });
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                d.requestStop();
            }
        }, "demo", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--lb-listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--dns-listen", "127.0.0.1:0", "--fs-listen", "127.0.0.1:0",
                "--https-listen", "127.0.0.3:0", "--state-dir", dir.resolve("state").toString());
        assertThat(failure.get()).as(r.toString()).isNull();
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(r.out).contains("Demo site: " + site.get() + " (removed on exit)");
        Path temp = site.get().getParent();
        assertThat(temp.getFileName().toString()).startsWith("portico-demo-");
        assertThat(temp).doesNotExist();
    }

    @Test
    void theStoreTakesAnUploadAndKeepsItOnTwoOfItsThreeNodes() {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Path> holding = new java.util.ArrayList<>();
        CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
            try (HttpClient http = HttpClient.newHttpClient()) {
                dev.portico.filestore.FilestoreService store = (dev.portico.filestore.FilestoreService) service(d, "store");
                HttpResponse<String> put = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + store.port() + DemoCommand.STORE_SAMPLE))
                        .timeout(Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofString("hello\n")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
                assertThat(put.headers().firstValue("x-copies")).hasValue("2/2");
                for (int i = 1; i <= DemoCommand.STORE_NODES; i++) {
                    Path root = ((dev.portico.web.WebServer) service(d, "store-node-" + i)).config().root();
                    Path copy = root.resolve(DemoCommand.STORE_SAMPLE.substring(1));
                    if (Files.exists(copy)) {
                        assertThat(Files.readString(copy)).isEqualTo("hello\n");
                        holding.add(copy);
                    }
                }
                assertThat(Api.fetch("http://127.0.0.1:" + store.port() + DemoCommand.STORE_SAMPLE)).isEqualTo("hello\n");
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                d.requestStop();
            }
        }, "demo", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--lb-listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--dns-listen", "127.0.0.1:0",
                "--fs-listen", "127.0.0.1:0", "--https-listen", "127.0.0.3:0", "--state-dir", dir.resolve("state").toString());
        assertThat(failure.get()).as(r.toString()).isNull();
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(holding).hasSize(2);
        // the banner names the upload and the two directories the file landed in
        assertThat(r.out).contains("Store: http://127.0.0.1:", "curl -T hello.txt http://127.0.0.1:",
                "it lands on two of the nodes");
        for (Path p : holding) {
            assertThat(r.out).contains("    " + p + "\n");
        }
    }

    private static dev.portico.core.lifecycle.Service service(Daemon d, String name) {
        return d.supervisor().running().stream().filter(r -> r.spec().name().equals(name)).findFirst().orElseThrow().service();
    }
}
