package dev.portico.filestore;

import dev.portico.core.net.Cidr;
import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class FilestoreRouterTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    StoreHarness store;

    @BeforeEach
    void nodes() throws Exception {
        store = new StoreHarness(portico).nodes(dir, 3);
    }

    private List<String> replicas(FilestoreConfig c, String url) {
        StorePath p = StorePath.parse(url, c.prefix());
        return Router.replicas(c, c.pool("localhost"), p.stage(), p.filePath());
    }

    @Test
    void aPutLandsOnExactlyTheComputedNodesAndReadsBack() throws Exception {
        FilestoreConfig c = store.router(dir.resolve("state")).build();
        RunningService router = store.start(c);
        String url = "/_3fs_0/docs/report.txt";
        HttpResponse<String> put = store.send(router, "PUT", url, "hello store");
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(put.headers().firstValue("x-copies")).hasValue("2/2");
        List<String> holders = replicas(c, url);
        assertThat(holders).hasSize(2).doesNotHaveDuplicates();
        for (String n : store.allNodes()) {
            Path f = store.rootOf(n).resolve("_3fs_0/docs/report.txt");
            if (holders.contains(n)) {
                assertThat(f).hasContent("hello store");
            } else {
                assertThat(f).doesNotExist();
            }
        }
        HttpResponse<String> get = store.send(router, "GET", url, null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("hello store");
        assertThat(store.send(router, "HEAD", url, null).headers().firstValue("content-length")).hasValue("11");

        // a chunked body (no Content-Length) goes to the nodes chunked
        byte[] big = new byte[300_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 7);
        }
        HttpResponse<String> chunked = store.client.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + router.port() + "/_3fs_0/docs/chunked.bin"))
                .timeout(Duration.ofSeconds(20)).header("If-None-Match", "*")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(201);
        for (String n : replicas(c, "/_3fs_0/docs/chunked.bin")) {
            assertThat(store.rootOf(n).resolve("_3fs_0/docs/chunked.bin")).hasBinaryContent(big);
        }

        HttpResponse<String> replaced = store.send(router, "PUT", url, "second");
        assertThat(replaced.statusCode()).isEqualTo(204);
        assertThat(replaced.headers().firstValue("x-copies")).hasValue("2/2");
        HttpResponse<String> deleted = store.send(router, "DELETE", url, null);
        assertThat(deleted.statusCode()).isEqualTo(204);
        for (String n : holders) {
            assertThat(store.rootOf(n).resolve("_3fs_0/docs/report.txt")).doesNotExist();
        }
        assertThat(store.send(router, "GET", url, null).statusCode()).isEqualTo(404);
        assertThat(store.send(router, "DELETE", url, null).statusCode()).isEqualTo(404);
    }

    @Test
    void readsFailOverToTheOtherCopyAndCountAMissingOne() throws Exception {
        FilestoreConfig c = store.router(dir.resolve("state")).build();
        RunningService router = store.start(c);
        String url = "/_3fs_0/a/b/c.bin";
        assertThat(store.send(router, "PUT", url, "payload").statusCode()).isEqualTo(201);
        List<String> holders = replicas(c, url);

        // one copy gone from disk: reads still succeed, and a read that met the gap counts it
        Files.delete(store.rootOf(holders.get(0)).resolve("_3fs_0/a/b/c.bin"));
        var missing = portico.metrics().registry().find("portico_filestore_missing_copies").counter();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            HttpResponse<String> r = store.send(router, "GET", url, null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("payload");
            return missing.count() > 0;
        });

        // the other holder stopped: the read goes to the copy that is left... which is gone; put it back first
        Files.writeString(store.rootOf(holders.get(0)).resolve("_3fs_0/a/b/c.bin"), "payload");
        store.nodes.get(store.allNodes().indexOf(holders.get(1))).service().stop(Duration.ZERO);
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = store.send(router, "GET", url, null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("payload");
        }
    }

    @Test
    void aQuorumOfAllFailsWhenANodeIsDownAndAQuorumOfOneAcknowledges() throws Exception {
        FilestoreConfig all = store.router(dir.resolve("state")).build();
        String url = "/_3fs_0/quorum.txt";
        List<String> holders = replicas(all, url);
        store.nodes.get(store.allNodes().indexOf(holders.get(1))).service().stop(Duration.ZERO);

        RunningService strict = store.start(all);
        HttpResponse<String> refused = store.send(strict, "PUT", url, "data");
        assertThat(refused.statusCode()).isIn(502, 503);
        assertThat(refused.headers().firstValue("x-copies")).hasValue("1/2");
        assertThat(refused.body()).contains("1/2 copies written, 2 needed");

        strict.service().stop(Duration.ZERO); // one service of a name at a time, as the supervisor runs them
        RunningService lenient = store.start(store.router(dir.resolve("state")).writeQuorum(1).build());
        HttpResponse<String> ok = store.send(lenient, "PUT", url, "data");
        assertThat(ok.statusCode()).isIn(201, 204);
        assertThat(ok.headers().firstValue("x-copies")).hasValue("1/2");
        assertThat(store.rootOf(holders.get(0)).resolve("_3fs_0/quorum.txt")).hasContent("data");
        assertThat(store.send(lenient, "GET", url, null).body()).isEqualTo("data");
    }

    @Test
    void stagelessUrlsFindTheirStageAndNewFilesGoToTheCurrentOne() throws Exception {
        TreeMap<Integer, List<String>> stages = new TreeMap<>();
        stages.put(0, List.of(store.node(0), store.node(1)));
        stages.put(1, List.of(store.node(1), store.node(2)));
        FilestoreConfig c = store.router(dir.resolve("state")).pool(new StorePool("*", stages, 1)).build();
        RunningService router = store.start(c);

        assertThat(store.send(router, "PUT", "/_3fs_0/old.txt", "old").statusCode()).isEqualTo(201);
        HttpResponse<String> kept = store.send(router, "PUT", "/_3fs/old.txt", "old, changed");
        assertThat(kept.headers().firstValue("location")).hasValue("/_3fs_0/old.txt");
        assertThat(store.rootOf(store.node(0)).resolve("_3fs_0/old.txt")).hasContent("old, changed");

        HttpResponse<String> created = store.send(router, "PUT", "/_3fs/new.txt", "new");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("location")).hasValue("/_3fs_1/new.txt");
        assertThat(store.rootOf(store.node(2)).resolve("_3fs_1/new.txt")).hasContent("new");
        assertThat(store.rootOf(store.node(1)).resolve("_3fs_1/new.txt")).hasContent("new");

        assertThat(store.send(router, "GET", "/_3fs/new.txt", null).body()).isEqualTo("new");
        assertThat(store.send(router, "GET", "/_3fs/old.txt", null).body()).isEqualTo("old, changed");
        // an old URL resolves with its own stage's nodes, not the current stage's
        assertThat(store.send(router, "GET", "/_3fs_0/old.txt", null).body()).isEqualTo("old, changed");
        assertThat(store.send(router, "GET", "/_3fs/none.txt", null).statusCode()).isEqualTo(404);

        assertThat(store.send(router, "DELETE", "/_3fs/old.txt", null).statusCode()).isEqualTo(204);
        assertThat(store.rootOf(store.node(0)).resolve("_3fs_0/old.txt")).doesNotExist();
        assertThat(store.send(router, "DELETE", "/_3fs/old.txt", null).statusCode()).isEqualTo(404);
    }

    @Test
    void writesNeedWritePermitAndStayInsideThePrefix() throws Exception {
        RunningService closed = store.start(FilestoreConfig.builder().listen(dev.portico.core.net.HostPort.parse("127.0.0.1:0"))
                .stateDir(dir.resolve("state")).pool(store.router(dir).build().pool("*"))
                .writePermit(Cidr.parse("10.0.0.0/8")).build());
        HttpResponse<String> put = store.send(closed, "PUT", "/_3fs_0/x.txt", "x");
        assertThat(put.statusCode()).isEqualTo(403);
        assertThat(store.send(closed, "DELETE", "/_3fs_0/x.txt", null).statusCode()).isEqualTo(403);
        for (Path root : store.roots) {
            assertThat(StoreHarness.files(root)).isEmpty();
        }
        Files.writeString(store.roots.get(0).resolve("plain.txt"), "plain");
        Files.writeString(store.roots.get(1).resolve("plain.txt"), "plain");
        Files.writeString(store.roots.get(2).resolve("plain.txt"), "plain");
        assertThat(store.send(closed, "GET", "/plain.txt", null).body()).isEqualTo("plain");

        closed.service().stop(Duration.ZERO);
        RunningService open = store.start(store.router(dir.resolve("state")).build());
        HttpResponse<String> outside = store.send(open, "PUT", "/plain.txt", "changed");
        assertThat(outside.statusCode()).isEqualTo(405);
        assertThat(outside.headers().firstValue("allow")).get().asString().contains("PUT");
        assertThat(store.roots.get(0).resolve("plain.txt")).hasContent("plain");
        assertThat(store.send(open, "POST", "/_3fs_0/x.txt", "x").statusCode()).isEqualTo(405);
    }

    @Test
    void hostilePathsAreRefusedBeforeAnyNodeSeesThem() throws Exception {
        RunningService router = store.start(store.router(dir.resolve("state")).build());
        Files.writeString(dir.resolve("secret.txt"), "secret");
        for (String target : List.of("/_3fs_0/../x", "/_3fs_0/%2e%2e/%2e%2e/secret.txt", "/_3fs_0/a%2f..%2fb",
                "/_3fs_0/..%5csecret.txt", "/_3fs/../../secret.txt", "/../secret.txt")) {
            assertThat(raw(router, "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")).as(target).startsWith("HTTP/1.1 400");
            assertThat(raw(router, "PUT " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"))
                    .as(target).startsWith("HTTP/1.1 400");
        }
        assertThat(raw(router, "GET /_3fs_9/x HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404");
        assertThat(raw(router, "GET /_3fs_x/x HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404");
        assertThat(raw(router, "PUT /_3fs_9/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")).startsWith("HTTP/1.1 404");
        for (Path root : store.roots) {
            assertThat(StoreHarness.files(root)).isEmpty();
        }
    }

    @Test
    void aClientThatStopsMidPutLeavesNoFileOnAnyNode() throws Exception {
        FilestoreConfig c = store.router(dir.resolve("state")).build();
        RunningService router = store.start(c);
        for (Path root : store.roots) {
            Files.createDirectories(root.resolve("_3fs_0"));
        }
        String url = "/_3fs_0/cut.bin";
        List<String> holders = replicas(c, url);
        try (Socket s = new Socket("127.0.0.1", router.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("PUT " + url + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[100_000]);
            out.flush();
            // both nodes have begun their uploads (a hidden temporary file each)
            await().atMost(Duration.ofSeconds(20)).until(() -> holders.stream().allMatch(n -> {
                try {
                    return !StoreHarness.files(store.rootOf(n)).isEmpty();
                } catch (java.io.IOException e) {
                    return false;
                }
            }));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> store.roots.stream().allMatch(r -> {
            try {
                return StoreHarness.files(r).isEmpty();
            } catch (java.io.IOException e) {
                return false;
            }
        }));
        assertThat(store.send(router, "GET", url, null).statusCode()).isEqualTo(404);
        // nothing was acknowledged, so nothing is owed to any node either
        assertThat(HandoffJournal.load(HandoffJournal.file(dir.resolve("state"), "fs")).live()).isEmpty();
    }

    @Test
    void anEmptyPutMakesEmptyCopiesAndMkcolMakesCollections() throws Exception {
        FilestoreConfig c = store.router(dir.resolve("state")).build();
        RunningService router = store.start(c);
        HttpResponse<String> put = store.send(router, "PUT", "/_3fs_0/empty.txt", "");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
        for (String n : replicas(c, "/_3fs_0/empty.txt")) {
            assertThat(store.rootOf(n).resolve("_3fs_0/empty.txt")).isEmptyFile();
        }
        HttpResponse<String> mkcol = store.send(router, "MKCOL", "/_3fs_0/made/", null);
        assertThat(mkcol.statusCode()).as(mkcol.body()).isEqualTo(201);
        assertThat(mkcol.headers().firstValue("x-copies")).hasValue("2/2");
        for (String n : replicas(c, "/_3fs_0/made/")) {
            assertThat(store.rootOf(n).resolve("_3fs_0/made")).isDirectory();
        }
    }

    @Test
    void aStoreWhosePoolsAreForNamedHostsServesThoseHostsAlone() throws Exception {
        TreeMap<Integer, List<String>> stages = new TreeMap<>();
        stages.put(0, store.allNodes());
        FilestoreConfig c = FilestoreConfig.builder().listen(dev.portico.core.net.HostPort.parse("127.0.0.1:0"))
                .stateDir(dir.resolve("state")).writePermit(Cidr.parse("127.0.0.0/8"))
                .responseTimeout(Duration.ofSeconds(10)).pool(new StorePool("127.0.0.1", stages, 0)).build();
        RunningService router = store.start(c);
        assertThat(store.send(router, "PUT", "/_3fs_0/host.txt", "mine").statusCode()).isEqualTo(201);
        assertThat(store.send(router, "GET", "/_3fs_0/host.txt", null).body()).isEqualTo("mine");
        assertThat(raw(router, "GET /_3fs_0/host.txt HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 404");
    }

    @Test
    void theAnyHostPoolServesEveryHost() throws Exception {
        RunningService router = store.start(store.router(dir.resolve("state")).build());
        assertThat(store.send(router, "PUT", "/_3fs_0/any.txt", "any").statusCode()).isEqualTo(201);
        assertThat(raw(router, "GET /_3fs_0/any.txt HTTP/1.1\r\nHost: other.example:81\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200");
    }

    /** Sends raw bytes and returns the response's first line and head. */
    static String raw(RunningService router, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", router.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                b.append((char) c);
                if (b.toString().endsWith("\r\n\r\n")) {
                    break;
                }
            }
            return b.toString();
        }
    }
}
