package dev.portico.web;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(30)
class StaticFilesTest {

    @TempDir
    Path root;
    WebHarness web;

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(root.resolve("index.html"), "<h1>home</h1>");
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/index.htm"), "docs index");
        Files.writeString(root.resolve("hello.txt"), "hello world");
        Files.writeString(root.resolve("space name.txt"), "spaced");
        Files.write(root.resolve("big.bin"), new byte[300_000]);
        Files.createDirectories(root.resolve("empty"));
        web = new WebHarness();
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    @Test
    void servesFilesWithTypeLengthAndValidators() throws Exception {
        web.start(WebConfig.builder().root(root));
        HttpResponse<String> r = web.get("/hello.txt");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello world");
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(r.headers().firstValue("content-length")).hasValue("11");
        assertThat(r.headers().firstValue("etag")).get().asString().matches("\"[0-9a-f]+-b\"");
        assertThat(r.headers().firstValue("last-modified")).isPresent();
        assertThat(r.headers().firstValue("date")).isPresent();
        assertThat(r.headers().firstValue("vary")).hasValue("Accept-Encoding");
        // second time from the cache: same bytes and headers
        HttpResponse<String> again = web.get("/hello.txt?x=1");
        assertThat(again.body()).isEqualTo("hello world");
        assertThat(again.headers().firstValue("etag")).isEqualTo(r.headers().firstValue("etag"));
    }

    @Test
    void indexFilesRedirectsAndErrors() throws Exception {
        web.start(WebConfig.builder().root(root));
        assertThat(web.get("/").body()).isEqualTo("<h1>home</h1>");
        assertThat(web.get("/docs/").body()).isEqualTo("docs index");
        HttpResponse<String> redirect = web.get("/docs?a=b");
        assertThat(redirect.statusCode()).isEqualTo(301);
        assertThat(redirect.headers().firstValue("location")).hasValue("/docs/?a=b");
        assertThat(web.get("/missing").statusCode()).isEqualTo(404);
        assertThat(web.get("/missing").body()).contains("404 Not Found");
        assertThat(web.get("/empty/").statusCode()).isEqualTo(403);
        assertThat(web.get("/space%20name.txt").body()).isEqualTo("spaced");
    }

    @Test
    void conditionalRequestsAnswer304() throws Exception {
        web.start(WebConfig.builder().root(root));
        HttpResponse<String> r = web.get("/hello.txt");
        String etag = r.headers().firstValue("etag").orElseThrow();
        String lm = r.headers().firstValue("last-modified").orElseThrow();
        assertThat(web.get("/hello.txt", "If-None-Match", etag).statusCode()).isEqualTo(304);
        assertThat(web.get("/hello.txt", "If-None-Match", "\"other\", " + etag).statusCode()).isEqualTo(304);
        assertThat(web.get("/hello.txt", "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);
        assertThat(web.get("/hello.txt", "If-Modified-Since", lm).statusCode()).isEqualTo(304);
        assertThat(web.get("/hello.txt", "If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT").statusCode()).isEqualTo(200);
        assertThat(web.get("/big.bin", "If-Modified-Since", lm).statusCode()).isEqualTo(304);
    }

    @Test
    void rangesSingleMultipleAndUnsatisfiable() throws Exception {
        Files.writeString(root.resolve("abc.txt"), "abcdefghijklmnopqrstuvwxyz");
        web.start(WebConfig.builder().root(root));
        HttpResponse<String> one = web.get("/abc.txt", "Range", "bytes=2-4");
        assertThat(one.statusCode()).isEqualTo(206);
        assertThat(one.body()).isEqualTo("cde");
        assertThat(one.headers().firstValue("content-range")).hasValue("bytes 2-4/26");
        assertThat(web.get("/abc.txt", "Range", "bytes=-3").body()).isEqualTo("xyz");
        assertThat(web.get("/abc.txt", "Range", "bytes=24-").body()).isEqualTo("yz");
        HttpResponse<String> multi = web.get("/abc.txt", "Range", "bytes=0-1,5-6");
        assertThat(multi.statusCode()).isEqualTo(206);
        assertThat(multi.headers().firstValue("content-type")).get().asString().startsWith("multipart/byteranges; boundary=");
        assertThat(multi.body()).contains("Content-Range: bytes 0-1/26\r\n\r\nab").contains("Content-Range: bytes 5-6/26\r\n\r\nfg");
        assertThat(multi.body().getBytes(StandardCharsets.ISO_8859_1).length)
                .isEqualTo(Integer.parseInt(multi.headers().firstValue("content-length").orElseThrow()));
        HttpResponse<String> bad = web.get("/abc.txt", "Range", "bytes=100-200");
        assertThat(bad.statusCode()).isEqualTo(416);
        assertThat(bad.headers().firstValue("content-range")).hasValue("bytes */26");
        assertThat(web.get("/abc.txt", "Range", "lines=1-2").statusCode()).isEqualTo(200);
        HttpResponse<byte[]> bigRange = web.getBytes("/big.bin", "Range", "bytes=1000-1999");
        assertThat(bigRange.statusCode()).isEqualTo(206);
        assertThat(bigRange.body()).hasSize(1000);
        // If-Range with a stale validator ignores the range
        assertThat(web.get("/abc.txt", "Range", "bytes=0-1", "If-Range", "\"stale\"").statusCode()).isEqualTo(200);
    }

    @Test
    void largeFilesGoOutWhole() throws Exception {
        web.start(WebConfig.builder().root(root));
        HttpResponse<byte[]> r = web.getBytes("/big.bin");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).hasSize(300_000);
    }

    @Test
    void expiresPerExtension() throws Exception {
        web.start(WebConfig.builder().root(root).expires("txt", Duration.ofMinutes(5)));
        HttpResponse<String> r = web.get("/hello.txt");
        assertThat(r.headers().firstValue("cache-control")).hasValue("max-age=300");
        assertThat(r.headers().firstValue("expires")).isPresent();
        assertThat(web.get("/index.html").headers().firstValue("cache-control")).isEmpty();
    }

    @Test
    void cacheSeesChangesAtOnce() throws Exception {
        web.start(WebConfig.builder().root(root));
        assertThat(web.get("/hello.txt").body()).isEqualTo("hello world");
        Files.writeString(root.resolve("hello.txt"), "changed!");
        await().atMost(Duration.ofSeconds(10)).until(() -> web.get("/hello.txt").body().equals("changed!"));
        Files.delete(root.resolve("hello.txt"));
        await().atMost(Duration.ofSeconds(10)).until(() -> web.get("/hello.txt").statusCode() == 404);
        Files.writeString(root.resolve("new.txt"), "new");
        await().atMost(Duration.ofSeconds(10)).until(() -> web.get("/new.txt").statusCode() == 200);
        // a remembered 404 goes as soon as the file appears, even in a new directory
        assertThat(web.get("/later/x.txt").statusCode()).isEqualTo(404);
        assertThat(web.get("/later/x.txt").statusCode()).isEqualTo(404);
        Files.createDirectories(root.resolve("later"));
        Files.writeString(root.resolve("later/x.txt"), "here now");
        await().atMost(Duration.ofSeconds(10)).until(() -> web.get("/later/x.txt").body().equals("here now"));
        // large files: the remembered size and validators follow the file
        assertThat(web.getBytes("/big.bin").body()).hasSize(300_000);
        assertThat(web.getBytes("/big.bin").body()).hasSize(300_000);
        Files.write(root.resolve("big.bin"), new byte[200_000]);
        await().atMost(Duration.ofSeconds(10)).until(() -> web.getBytes("/big.bin").body().length == 200_000);
    }

    @Test
    void gzipSmallAndLargeWhenAccepted() throws Exception {
        String text = "portico ".repeat(20_000);
        Files.writeString(root.resolve("big.txt"), text);
        Files.writeString(root.resolve("small.html"), "<p>" + "x".repeat(5000) + "</p>");
        web.start(WebConfig.builder().root(root).cacheMaxFileSize(64 * 1024)
                .gzip(new WebConfig.Gzip(true, WebConfig.Gzip.DEFAULT_TYPES, 100, 10L << 20, 6, root.resolveSibling(root.getFileName() + "-gz"))));
        HttpResponse<byte[]> small = web.getBytes("/small.html", "Accept-Encoding", "gzip");
        assertThat(small.headers().firstValue("content-encoding")).hasValue("gzip");
        assertThat(small.headers().firstValue("content-length")).isPresent();
        assertThat(gunzip(small.body())).isEqualTo("<p>" + "x".repeat(5000) + "</p>");
        HttpResponse<byte[]> big = web.getBytes("/big.txt", "Accept-Encoding", "gzip, deflate");
        assertThat(big.headers().firstValue("content-encoding")).hasValue("gzip");
        assertThat(big.headers().firstValue("transfer-encoding")).hasValue("chunked");
        assertThat(gunzip(big.body())).isEqualTo(text);
        // the stored variant is reused with a fixed length next time
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            HttpResponse<byte[]> again = web.getBytes("/big.txt", "Accept-Encoding", "gzip");
            assertThat(again.headers().firstValue("content-length")).isPresent();
            assertThat(gunzip(again.body())).isEqualTo(text);
        });
        HttpResponse<String> identity = web.get("/big.txt");
        assertThat(identity.headers().firstValue("content-encoding")).isEmpty();
        assertThat(identity.body()).isEqualTo(text);
        assertThat(web.get("/small.html", "Accept-Encoding", "gzip;q=0").headers().firstValue("content-encoding")).isEmpty();
    }

    @Test
    void precompressedSiblingIsServedAsIs() throws Exception {
        Files.writeString(root.resolve("app.js"), "console.log(1)");
        Files.write(root.resolve("app.js.br"), new byte[] {1, 2, 3});
        web.start(WebConfig.builder().root(root));
        HttpResponse<byte[]> br = web.getBytes("/app.js", "Accept-Encoding", "gzip, br");
        assertThat(br.headers().firstValue("content-encoding")).hasValue("br");
        assertThat(br.body()).containsExactly(1, 2, 3);
        assertThat(br.headers().firstValue("content-type")).get().asString().startsWith("text/javascript");
        assertThat(web.get("/app.js").body()).isEqualTo("console.log(1)");
    }

    @Test
    void pipelinedRequestsAnswerInOrder() throws Exception {
        Files.writeString(root.resolve("a.txt"), "AAA");
        Files.writeString(root.resolve("b.txt"), "BBB");
        web.start(WebConfig.builder().root(root));
        try (Socket s = web.socket()) {
            String req = "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            String all = WebHarness.exchange(s, req, null);
            int a = all.indexOf("AAA");
            int big = all.indexOf("Content-Length: 300000");
            int b = all.indexOf("BBB");
            assertThat(a).isPositive();
            assertThat(big).isGreaterThan(a);
            assertThat(b).isGreaterThan(big);
            assertThat(all.split("HTTP/1.1 200 OK", -1)).hasSize(5);
            assertThat(all.substring(all.lastIndexOf("HTTP/1.1 200"))).contains("Connection: close").doesNotContain("AAA");
        }
    }

    @Test
    void keepAliveDefaultsPerVersion() throws Exception {
        web.start(WebConfig.builder().root(root));
        try (Socket s = web.socket()) {
            String r = WebHarness.exchange(s, "GET /hello.txt HTTP/1.0\r\n\r\n", null);
            assertThat(r).startsWith("HTTP/1.0 200 OK").contains("Connection: close").endsWith("hello world");
        }
        try (Socket s = web.socket()) {
            String r = WebHarness.exchange(s, "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "hello world");
            assertThat(r).contains("Connection: keep-alive");
            String r2 = WebHarness.exchange(s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n", "hello world");
            assertThat(r2).startsWith("HTTP/1.1 200 OK").doesNotContain("Connection:");
        }
    }

    @Test
    void virtualHostsPickTheirRoot(@TempDir Path other) throws Exception {
        Files.writeString(other.resolve("hello.txt"), "other site");
        web.start(WebConfig.builder().root(root).host("other.test", other));
        assertThat(web.get("/hello.txt").body()).isEqualTo("hello world");
        try (Socket s = web.socket()) {
            String r = WebHarness.exchange(s, "GET /hello.txt HTTP/1.1\r\nHost: Other.Test:8080\r\nConnection: close\r\n\r\n", null);
            assertThat(r).endsWith("other site");
        }
    }

    @Test
    void configuredErrorPage() throws Exception {
        Path page = root.resolveSibling(root.getFileName() + "-404.html");
        Files.writeString(page, "custom not found");
        web.start(WebConfig.builder().root(root).errorPage(404, page));
        HttpResponse<String> r = web.get("/nope");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("custom not found");
    }

    @Test
    void writeMethodsAreRefusedByDefault() throws Exception {
        web.start(WebConfig.builder().root(root));
        try (Socket s = web.socket()) {
            String r = WebHarness.exchange(s, "PUT /x.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc", null);
            assertThat(r).startsWith("HTTP/1.1 405").contains("Allow: GET, HEAD");
        }
        assertThat(Files.exists(root.resolve("x.txt"))).isFalse();
        try (Socket s = web.socket()) {
            String r = WebHarness.exchange(s, "BREW /pot HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", null);
            assertThat(r).startsWith("HTTP/1.1 501");
        }
    }

    static String gunzip(byte[] data) throws Exception {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(data))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
