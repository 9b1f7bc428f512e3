package dev.portico.web;

import dev.portico.web.h2.Http2Options;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Static files over h2c with prior knowledge, with curl and h2load as clients. */
@Timeout(120)
class Http2WebTest {

    @TempDir
    Path root;
    @TempDir
    Path work;
    WebHarness web;
    String base;

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(root.resolve("hello.txt"), "hello over h2\n");
        StringBuilder page = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            page.append("<p>line ").append(i).append(" of a page that compresses well</p>\n");
        }
        Files.writeString(root.resolve("page.html"), page);
        web = new WebHarness().start(WebConfig.builder().root(root).gzip(true)
                .accessLog(work.resolve("access.log"))
                .http2(Http2Options.defaults().withH2c(true)));
        base = "http://127.0.0.1:" + web.port();
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    @Test
    void getHeadAndTheAccessLogOverH2c() throws Exception {
        Curl.Result get = Curl.h2c(work, base + "/hello.txt");
        assertThat(get.protocol()).isEqualTo("2");
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.text()).isEqualTo("hello over h2\n");
        assertThat(get.headers()).containsEntry("content-length", "14").doesNotContainKey("connection");

        Curl.Result head = Curl.h2c(work, base + "/hello.txt", "--head");
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.headers()).containsEntry("content-length", "14");
        assertThat(head.text()).as("--head writes the head as the output; no body follows").doesNotContain("hello over h2");

        assertThat(Curl.h2c(work, base + "/missing").status()).isEqualTo(404);

        await().untilAsserted(() -> assertThat(Files.readString(work.resolve("access.log")))
                .contains("\"GET /hello.txt HTTP/2.0\" 200").contains("\"HEAD /hello.txt HTTP/2.0\" 200")
                .contains("\"GET /missing HTTP/2.0\" 404"));
        assertThat(web.meters.get("portico_http_requests").tag("status", "2xx").counter().count()).isEqualTo(2.0);
    }

    @Test
    void http1StillWorksOnTheSameListener() throws Exception {
        var r = web.get("/hello.txt");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello over h2\n");
        // "PRI" then something else is an HTTP/1.1 request with an unknown method, not h2.
        try (var s = web.socket()) {
            String answer = WebHarness.exchange(s, "PRIX / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", null);
            assertThat(answer).startsWith("HTTP/1.1 501");
        }
    }

    @Test
    void theJdkClientAskingForHttp2OverPlainHttpGetsHttp11() throws Exception {
        // The JDK client offers h2c only through "Upgrade: h2c", which is not taken: it is answered as HTTP/1.1.
        java.net.http.HttpClient jdk = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(5)).build();
        var r = jdk.send(java.net.http.HttpRequest.newBuilder(web.uri("/hello.txt")).timeout(Duration.ofSeconds(10))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_1_1);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello over h2\n");
    }

    @Test
    void rangesAndConditionals() throws Exception {
        Curl.Result range = Curl.h2c(work, base + "/hello.txt", "-r", "0-4");
        assertThat(range.status()).isEqualTo(206);
        assertThat(range.text()).isEqualTo("hello");
        assertThat(range.headers()).containsEntry("content-range", "bytes 0-4/14");

        String etag = Curl.h2c(work, base + "/hello.txt").headers().get("etag");
        assertThat(etag).isNotNull();
        Curl.Result notModified = Curl.h2c(work, base + "/hello.txt", "-H", "If-None-Match: " + etag);
        assertThat(notModified.status()).isEqualTo(304);
        assertThat(notModified.body()).isEmpty();
    }

    @Test
    void gzipVariant() throws Exception {
        Curl.Result r = Curl.h2c(work, base + "/page.html", "-H", "Accept-Encoding: gzip");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers()).containsEntry("content-encoding", "gzip");
        byte[] plain = new GZIPInputStream(new java.io.ByteArrayInputStream(r.body())).readAllBytes();
        assertThat(new String(plain, StandardCharsets.UTF_8)).isEqualTo(Files.readString(root.resolve("page.html")));
        // Again: the variant now comes from the cache.
        Curl.Result again = Curl.h2c(work, base + "/page.html", "--compressed");
        assertThat(again.text()).isEqualTo(Files.readString(root.resolve("page.html")));
    }

    @Test
    void aLargeFileGzippedWhileItStreams() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 3 << 20; i++) {
            text.append("line ").append(i).append(" of a large text file\n");
        }
        Files.writeString(root.resolve("large.txt"), text);
        Curl.Result r = Curl.h2c(work, base + "/large.txt", "-H", "Accept-Encoding: gzip");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers()).containsEntry("content-encoding", "gzip").doesNotContainKey("transfer-encoding");
        byte[] plain = new GZIPInputStream(new java.io.ByteArrayInputStream(r.body())).readAllBytes();
        assertThat(new String(plain, StandardCharsets.UTF_8)).isEqualTo(text.toString());
    }

    @Test
    void twentyMegabytesStreamIntact() throws Exception {
        byte[] data = new byte[20 << 20];
        new Random(16).nextBytes(data);
        Files.write(root.resolve("big.bin"), data);
        Curl.Result r = Curl.h2c(work, base + "/big.bin");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().length).isEqualTo(data.length);
        assertThat(sha256(r.body())).isEqualTo(sha256(data));
    }

    @Test
    void manyConcurrentStreamsWithH2load() throws Exception {
        String out = Curl.run(List.of("h2load", "-n", "2000", "-c", "4", "-m", "64", base + "/hello.txt"));
        assertThat(out).contains("2000 succeeded").contains("status codes: 2000 2xx");
        String nghttp = Curl.run(List.of("nghttp", "-n", "-s", base + "/hello.txt", base + "/page.html",
                base + "/missing"));
        assertThat(nghttp).isNotEmpty();
        await().untilAsserted(() -> assertThat(web.server.openConnections()).isZero());
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
