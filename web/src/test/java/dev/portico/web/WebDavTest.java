package dev.portico.web;

import dev.portico.core.net.Cidr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(30)
class WebDavTest {

    @TempDir
    Path root;
    WebHarness web;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectories(root.resolve("dav"));
        Files.writeString(root.resolve("dav/existing.txt"), "old content");
        web = new WebHarness();
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    private void startWith(List<String> writers, Map<String, String> users) throws Exception {
        web.start(WebConfig.builder().root(root)
                .webdav(new WebConfig.WebDav(true, writers.stream().map(Cidr::parse).toList(), users, "dav test")));
    }

    private void startOpen() throws Exception {
        startWith(List.of("127.0.0.0/8"), Map.of());
    }

    @Test
    void optionsAdvertisesDav() throws Exception {
        startOpen();
        HttpResponse<String> r = web.send("OPTIONS", "/dav/", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("dav")).hasValue("1");
        assertThat(r.headers().firstValue("allow")).get().asString().contains("PUT", "DELETE", "MKCOL", "PROPFIND");
    }

    @Test
    void putCreatesThenReplacesAndGetSeesIt() throws Exception {
        startOpen();
        HttpResponse<String> created = web.send("PUT", "/dav/new.txt", "first");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(Files.readString(root.resolve("dav/new.txt"))).isEqualTo("first");
        assertThat(web.get("/dav/new.txt").body()).isEqualTo("first");
        HttpResponse<String> replaced = web.send("PUT", "/dav/new.txt", "second, longer");
        assertThat(replaced.statusCode()).isEqualTo(204);
        assertThat(replaced.headers().firstValue("content-length")).isEmpty();
        assertThat(web.get("/dav/new.txt").body()).isEqualTo("second, longer");
        assertThat(web.send("PUT", "/dav/existing.txt", "").statusCode()).isEqualTo(204);
        assertThat(Files.size(root.resolve("dav/existing.txt"))).isZero();
        assertThat(tempFiles()).isEmpty();
    }

    @Test
    void putOfUtf8NameAndLargeChunkedBody() throws Exception {
        startOpen();
        assertThat(web.send("PUT", "/dav/res-%E2%82%AC.txt", "euro").statusCode()).isEqualTo(201);
        assertThat(Files.readString(root.resolve("dav/res-\u20ac.txt"))).isEqualTo("euro");
        byte[] big = new byte[3_000_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        var req = java.net.http.HttpRequest.newBuilder(web.uri("/dav/big.bin"))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
                .build();
        assertThat(web.client.send(req, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(201);
        assertThat(Files.readAllBytes(root.resolve("dav/big.bin"))).isEqualTo(big);
    }

    @Test
    void putConflictsAndRefusals() throws Exception {
        startOpen();
        assertThat(web.send("PUT", "/dav/missing/child.txt", "x").statusCode()).isEqualTo(409);
        assertThat(web.send("PUT", "/dav/existing.txt/child", "x").statusCode()).isEqualTo(409);
        HttpResponse<String> onDir = web.send("PUT", "/dav", "x");
        assertThat(onDir.statusCode()).isEqualTo(405);
        assertThat(onDir.headers().firstValue("allow")).get().asString().contains("PUT");
        assertThat(web.send("PUT", "/", "x").statusCode()).isEqualTo(405);
        assertThat(web.send("PUT", "/dav/.portico-upload-123", "x").statusCode()).isEqualTo(403);
        assertThat(web.send("PUT", "/dav/%2e%2e/%2e%2e/escape.txt", "x").statusCode()).isEqualTo(400);
        assertThat(web.send("PUT", "/dav/part.txt", "x", "Content-Range", "bytes 0-0/10").statusCode()).isEqualTo(400);
        assertThat(Files.exists(root.resolve("dav/missing"))).isFalse();
        assertThat(Files.exists(root.resolve("dav/part.txt"))).isFalse();
        assertThat(Files.exists(root.getParent().resolve("escape.txt"))).isFalse();
        assertThat(tempFiles()).isEmpty();
    }

    @Test
    void linksOutOfTheRootAreNeverWrittenThrough(@TempDir Path outside) throws Exception {
        Files.writeString(outside.resolve("secret.txt"), "outside");
        Files.createSymbolicLink(root.resolve("dav/out"), outside);
        Files.createSymbolicLink(root.resolve("dav/link.txt"), outside.resolve("secret.txt"));
        startOpen();
        assertThat(web.send("PUT", "/dav/out/secret.txt", "pwned").statusCode()).isEqualTo(403);
        assertThat(web.send("PUT", "/dav/out/new.txt", "pwned").statusCode()).isEqualTo(403);
        assertThat(web.send("PUT", "/dav/link.txt", "pwned").statusCode()).isEqualTo(403);
        assertThat(web.send("MKCOL", "/dav/out/sub", null).statusCode()).isEqualTo(403);
        assertThat(web.send("DELETE", "/dav/out/secret.txt", null).statusCode()).isEqualTo(403);
        assertThat(web.send("PROPFIND", "/dav/out/", null, "Depth", "1").statusCode()).isEqualTo(403);
        assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo("outside");
        assertThat(Files.exists(outside.resolve("new.txt"))).isFalse();
        // deleting the link removes the link only
        assertThat(web.send("DELETE", "/dav/out", null).statusCode()).isEqualTo(204);
        assertThat(Files.exists(root.resolve("dav/out"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo("outside");
    }

    @Test
    void linksAnywhereOnTheWayAreRefusedEvenInsideTheRoot(@TempDir Path outside) throws Exception {
        Files.createDirectories(outside.resolve("sub"));
        Files.createDirectories(root.resolve("dav/real"));
        Files.createSymbolicLink(root.resolve("dav/out"), outside);
        Files.createSymbolicLink(root.resolve("dav/alias"), root.resolve("dav/real"));
        Files.createSymbolicLink(root.resolve("dav/dangling"), outside.resolve("nothing"));
        try {
            startOpen();
            assertThat(web.send("PUT", "/dav/out/sub/new.txt", "pwned").statusCode()).isEqualTo(403);
            assertThat(web.send("MKCOL", "/dav/out/sub/col", null).statusCode()).isEqualTo(403);
            assertThat(web.send("DELETE", "/dav/out/sub", null).statusCode()).isEqualTo(403);
            assertThat(web.send("PUT", "/dav/alias/new.txt", "x").statusCode()).isEqualTo(403);
            assertThat(web.send("MKCOL", "/dav/alias/col", null).statusCode()).isEqualTo(403);
            // the last segment is acted on as a link: never written through, never made into a collection
            assertThat(web.send("PUT", "/dav/dangling", "pwned").statusCode()).isEqualTo(403);
            assertThat(web.send("MKCOL", "/dav/dangling", null).statusCode()).isEqualTo(405);
            assertThat(web.send("MKCOL", "/dav/out", null).statusCode()).isEqualTo(405);
            assertThat(outside.resolve("nothing")).doesNotExist();
            assertThat(outside.resolve("sub/new.txt")).doesNotExist();
            assertThat(outside.resolve("sub/col")).doesNotExist();
            assertThat(outside.resolve("sub")).isDirectory();
            assertThat(root.resolve("dav/real")).isEmptyDirectory();
            assertThat(tempFiles()).isEmpty();
        } finally {
            for (String link : List.of("out", "alias", "dangling")) {
                Files.deleteIfExists(root.resolve("dav").resolve(link));
            }
        }
    }

    @Test
    void deletingACollectionRemovesTheLinksInItButNotWhatTheyPointAt(@TempDir Path outside) throws Exception {
        Files.createDirectories(outside.resolve("keep/deeper"));
        Files.writeString(outside.resolve("keep/a.txt"), "outside a");
        Files.writeString(outside.resolve("keep/deeper/b.txt"), "outside b");
        Files.createDirectories(root.resolve("dav/tree/sub"));
        Files.writeString(root.resolve("dav/tree/sub/own.txt"), "own");
        Files.createSymbolicLink(root.resolve("dav/tree/sub/dir-link"), outside.resolve("keep"));
        Files.createSymbolicLink(root.resolve("dav/tree/file-link"), outside.resolve("keep/a.txt"));
        startOpen();
        assertThat(web.send("DELETE", "/dav/tree", null).statusCode()).isEqualTo(204);
        assertThat(Files.exists(root.resolve("dav/tree"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.readString(outside.resolve("keep/a.txt"))).isEqualTo("outside a");
        assertThat(Files.readString(outside.resolve("keep/deeper/b.txt"))).isEqualTo("outside b");
    }

    @Test
    void aReplaceInProgressNeverShowsUnderTheFinalName() throws Exception {
        startOpen();
        byte[] half = "n".repeat(50_000).getBytes(StandardCharsets.US_ASCII);
        try (Socket s = web.socket()) {
            OutputStream out = s.getOutputStream();
            out.write(("PUT /dav/existing.txt HTTP/1.1\r\nHost: h\r\nContent-Length: " + 2 * half.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(half);
            out.flush();
            await().atMost(Duration.ofSeconds(5)).until(() -> !tempFiles().isEmpty()
                    && Files.size(tempFiles().getFirst()) == half.length);
            assertThat(Files.readString(root.resolve("dav/existing.txt"))).isEqualTo("old content");
            assertThat(web.get("/dav/existing.txt").body()).isEqualTo("old content");
            out.write(half);
            out.flush();
            assertThat(WebHarness.readUntil(s, "\r\n\r\n")).startsWith("HTTP/1.1 204");
        }
        assertThat(Files.size(root.resolve("dav/existing.txt"))).isEqualTo(2L * half.length);
        assertThat(tempFiles()).isEmpty();
    }

    @Test
    void deleteFilesAndTreesAnd404() throws Exception {
        Files.createDirectories(root.resolve("dav/tree/a/b"));
        Files.writeString(root.resolve("dav/tree/a/b/f.txt"), "f");
        startOpen();
        assertThat(web.get("/dav/existing.txt").body()).isEqualTo("old content");
        assertThat(web.send("DELETE", "/dav/existing.txt", null).statusCode()).isEqualTo(204);
        assertThat(Files.exists(root.resolve("dav/existing.txt"))).isFalse();
        assertThat(web.get("/dav/existing.txt").statusCode()).isEqualTo(404);
        assertThat(web.send("DELETE", "/dav/existing.txt", null).statusCode()).isEqualTo(404);
        assertThat(web.send("DELETE", "/dav/tree/", null, "Depth", "0").statusCode()).isEqualTo(400);
        assertThat(web.send("DELETE", "/dav/tree/", null).statusCode()).isEqualTo(204);
        assertThat(Files.exists(root.resolve("dav/tree"))).isFalse();
        assertThat(web.send("DELETE", "/", null).statusCode()).isEqualTo(403);
        Files.createDirectories(root.resolve("dav/frag"));
        try (Socket s = web.socket()) {
            String r = WebHarness.exchange(s, "DELETE /dav/frag/#ment HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", null);
            assertThat(r).startsWith("HTTP/1.1 400");
        }
        assertThat(Files.isDirectory(root.resolve("dav/frag"))).isTrue();
    }

    @Test
    void mkcolRules() throws Exception {
        startOpen();
        assertThat(web.send("MKCOL", "/dav/coll/", null).statusCode()).isEqualTo(201);
        assertThat(Files.isDirectory(root.resolve("dav/coll"))).isTrue();
        assertThat(web.send("MKCOL", "/dav/coll/", null).statusCode()).isEqualTo(405);
        assertThat(web.send("MKCOL", "/dav/existing.txt", null).statusCode()).isEqualTo(405);
        assertThat(web.send("MKCOL", "/dav/nope/coll/", null).statusCode()).isEqualTo(409);
        assertThat(web.send("MKCOL", "/dav/body/", "<x/>", "Content-Type", "text/xml").statusCode()).isEqualTo(415);
        assertThat(Files.exists(root.resolve("dav/body"))).isFalse();
    }

    @Test
    void propfindDepthZeroAndOne() throws Exception {
        Files.createDirectories(root.resolve("dav/sub dir"));
        startOpen();
        HttpResponse<String> zero = web.send("PROPFIND", "/dav/existing.txt", null, "Depth", "0");
        assertThat(zero.statusCode()).isEqualTo(207);
        assertThat(zero.headers().firstValue("content-type")).get().asString().startsWith("application/xml");
        assertThat(zero.body()).contains("<D:href>/dav/existing.txt</D:href>", "<D:getcontentlength>11</D:getcontentlength>",
                "<D:resourcetype/>", "<D:displayname>existing.txt</D:displayname>", "<D:getlastmodified>", "<D:getetag>");
        String etag = web.get("/dav/existing.txt").headers().firstValue("etag").orElseThrow();
        assertThat(zero.body()).contains("<D:getetag>" + etag.replace("\"", "&quot;") + "</D:getetag>");

        HttpResponse<String> one = web.send("PROPFIND", "/dav/", "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind>",
                "Depth", "1", "Content-Type", "application/xml");
        assertThat(one.statusCode()).isEqualTo(207);
        assertThat(one.body()).contains("<D:href>/dav/</D:href>", "<D:collection/>", "<D:href>/dav/existing.txt</D:href>",
                "<D:href>/dav/sub%20dir/</D:href>");
        assertThat(one.body().split("<D:response>", -1)).hasSize(4);

        HttpResponse<String> named = web.send("PROPFIND", "/dav/existing.txt",
                "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:getcontentlength/><X:color xmlns:X=\"urn:x\"/></D:prop></D:propfind>",
                "Depth", "0");
        assertThat(named.body()).contains("<D:getcontentlength>11</D:getcontentlength>", "HTTP/1.1 404 Not Found",
                "xmlns:ns0=\"urn:x\"").doesNotContain("displayname");

        assertThat(web.send("PROPFIND", "/dav/", null).statusCode()).isEqualTo(403);
        assertThat(web.send("PROPFIND", "/dav/", "<not xml", "Depth", "0").statusCode()).isEqualTo(400);
        assertThat(web.send("PROPFIND", "/dav/", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
                "Depth", "0").statusCode()).isEqualTo(400);
        assertThat(web.send("PROPFIND", "/dav/none", null, "Depth", "0").statusCode()).isEqualTo(404);
    }

    @Test
    void onlyWritersMayWrite() throws Exception {
        startWith(List.of("10.0.0.0/8"), Map.of());
        assertThat(web.send("PUT", "/dav/x.txt", "x").statusCode()).isEqualTo(403);
        assertThat(web.send("DELETE", "/dav/existing.txt", null).statusCode()).isEqualTo(403);
        assertThat(web.send("MKCOL", "/dav/c/", null).statusCode()).isEqualTo(403);
        assertThat(web.send("PROPFIND", "/dav/", null, "Depth", "1").statusCode()).isEqualTo(403);
        assertThat(Files.exists(root.resolve("dav/x.txt"))).isFalse();
        assertThat(Files.exists(root.resolve("dav/existing.txt"))).isTrue();
        assertThat(web.get("/dav/existing.txt").statusCode()).isEqualTo(200);
    }

    @Test
    void basicAuthWhenUsersAreConfigured() throws Exception {
        startWith(List.of("127.0.0.1/32"), Map.of("alice", "s3cret"));
        HttpResponse<String> none = web.send("PUT", "/dav/x.txt", "x");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("www-authenticate")).get().asString().startsWith("Basic realm=\"dav test\"");
        assertThat(web.send("PUT", "/dav/x.txt", "x", "Authorization", basic("alice", "wrong")).statusCode()).isEqualTo(401);
        assertThat(web.send("PUT", "/dav/x.txt", "x", "Authorization", basic("bob", "s3cret")).statusCode()).isEqualTo(401);
        assertThat(web.send("PUT", "/dav/x.txt", "x", "Authorization", "Basic !!!").statusCode()).isEqualTo(401);
        assertThat(Files.exists(root.resolve("dav/x.txt"))).isFalse();
        assertThat(web.send("PUT", "/dav/x.txt", "x", "Authorization", basic("alice", "s3cret")).statusCode()).isEqualTo(201);
        assertThat(Files.readString(root.resolve("dav/x.txt"))).isEqualTo("x");
    }

    @Test
    void disconnectMidUploadLeavesNothing() throws Exception {
        startOpen();
        try (Socket s = web.socket()) {
            OutputStream out = s.getOutputStream();
            out.write(("PUT /dav/partial.bin HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1000]);
            out.flush();
            await().atMost(Duration.ofSeconds(5)).until(() -> !tempFiles().isEmpty());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> tempFiles().isEmpty());
        assertThat(Files.exists(root.resolve("dav/partial.bin"))).isFalse();
    }

    @Test
    void disconnectMidReplaceKeepsTheOldContent() throws Exception {
        startOpen();
        try (Socket s = web.socket()) {
            OutputStream out = s.getOutputStream();
            out.write(("PUT /dav/existing.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1000]);
            out.flush();
            await().atMost(Duration.ofSeconds(5)).until(() -> !tempFiles().isEmpty());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> tempFiles().isEmpty());
        assertThat(Files.readString(root.resolve("dav/existing.txt"))).isEqualTo("old content");
    }

    @Test
    void bodiesOverTheLimitAre413() throws Exception {
        web.start(WebConfig.builder().root(root)
                .http(new dev.portico.web.http.HttpOptions(8192, 16384, 100, 1000, 100, Duration.ofSeconds(5),
                        Duration.ofSeconds(5), Duration.ofSeconds(5)))
                .webdav(new WebConfig.WebDav(true, List.of(Cidr.parse("127.0.0.1")), Map.of(), "r")));
        try (Socket s = web.socket()) {
            String r = WebHarness.exchange(s, "PUT /dav/big HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n", null);
            assertThat(r).startsWith("HTTP/1.1 413");
        }
        try (Socket s = web.socket()) {
            String chunk = Integer.toHexString(800) + "\r\n" + "a".repeat(800) + "\r\n";
            String r = WebHarness.exchange(s, "PUT /dav/big HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + chunk + chunk + "0\r\n\r\n", null);
            assertThat(r).contains("413");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> tempFiles().isEmpty());
        assertThat(Files.exists(root.resolve("dav/big"))).isFalse();
    }

    @Test
    void litmusBasicSuitePasses(@TempDir Path work) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Litmus.installed(), "litmus is not installed");
        startOpen();
        Litmus.Result r = Litmus.run("basic", web.uri("/dav/").toString(), work);
        assertThat(r.output()).contains("summary for `basic'");
        assertThat(r.failed()).as(r.output()).isZero();
        assertThat(r.passed()).as(r.output()).isEqualTo(r.run()).isGreaterThanOrEqualTo(15);
        assertThat(r.output()).doesNotContain("WARNING: DELETE removed collection");
    }

    @Test
    void litmusBasicSuitePassesWithAuth(@TempDir Path work) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Litmus.installed(), "litmus is not installed");
        startWith(List.of("127.0.0.1/32"), Map.of("litmus", "pa:ss"));
        Litmus.Result r = Litmus.run("basic", web.uri("/dav/").toString(), work, "litmus", "pa:ss");
        assertThat(r.failed()).as(r.output()).isZero();
        assertThat(r.passed()).as(r.output()).isGreaterThanOrEqualTo(15);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private List<Path> tempFiles() throws java.io.IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".portico-upload-")).toList();
        }
    }
}
