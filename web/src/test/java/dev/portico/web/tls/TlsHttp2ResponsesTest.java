package dev.portico.web.tls;

import dev.portico.core.tls.TlsSettings;
import dev.portico.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of static-file answer over HTTP/2 on TLS, as the JDK client sees it: heads written
 * as HEADERS frames straight from the exchange, bodies from memory, from a file read in chunks,
 * and in parts; with the fields HTTP/1.1 has (HSTS, Date, validators) and none of its
 * connection-specific ones.
 */
@Timeout(120)
class TlsHttp2ResponsesTest {

    @TempDir
    Path dir;
    TlsHarness h;
    HttpClient client;
    byte[] large;
    String small;

    @BeforeEach
    void setUp() throws Exception {
        h = new TlsHarness(dir);
        StringBuilder page = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            page.append("<p>line ").append(i).append(" of a page that compresses well</p>\n");
        }
        small = page.toString();
        Files.writeString(dir.resolve("site/page.html"), small);
        large = new byte[600 * 1024 + 13];
        new Random(7).nextBytes(large);
        Files.write(dir.resolve("site/large.bin"), large);
        Files.createDirectories(dir.resolve("site/sub"));
        Files.writeString(dir.resolve("site/sub/index.html"), "sub\n");
        TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
        h.start(h.web(TlsSettings.builder().certificate(cert.cert(), cert.key()).hsts(Duration.ofDays(1)).build())
                .gzip(true).cacheMaxFileSize(64 * 1024).build());
        client = HttpClient.newBuilder().sslContext(h.pki.clientContext()).connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_2).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    private HttpResponse<byte[]> send(String method, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + h.port() + path))
                .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertHttp2Fields(r.headers());
        return r;
    }

    /** What every answer carries on h2, and what it must not. */
    private static void assertHttp2Fields(HttpHeaders headers) {
        assertThat(headers.firstValue("strict-transport-security")).hasValue("max-age=86400");
        assertThat(headers.firstValue("date")).isPresent();
        assertThat(headers.map()).doesNotContainKeys("connection", "transfer-encoding", "keep-alive");
    }

    @Test
    void aFileFromMemoryAgainFromTheCacheAndItsHead() throws Exception {
        for (int i = 0; i < 2; i++) {
            HttpResponse<byte[]> r = send("GET", "/page.html");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(small);
            assertThat(r.headers().firstValue("content-length")).hasValue(Integer.toString(small.length()));
            assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
            assertThat(r.headers().firstValue("etag")).isPresent();
            assertThat(r.headers().firstValue("last-modified")).isPresent();
            assertThat(r.headers().firstValue("accept-ranges")).hasValue("bytes");
        }
        HttpResponse<byte[]> head = send("HEAD", "/page.html");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("content-length")).hasValue(Integer.toString(small.length()));
    }

    @Test
    void conditionalRequestsGet304WithoutABody() throws Exception {
        HttpResponse<byte[]> first = send("GET", "/page.html");
        String etag = first.headers().firstValue("etag").orElseThrow();
        String modified = first.headers().firstValue("last-modified").orElseThrow();
        for (int i = 0; i < 2; i++) {
            HttpResponse<byte[]> byTag = send("GET", "/page.html", "If-None-Match", etag);
            assertThat(byTag.statusCode()).isEqualTo(304);
            assertThat(byTag.body()).isEmpty();
            assertThat(byTag.headers().firstValue("etag")).hasValue(etag);
        }
        HttpResponse<byte[]> byDate = send("GET", "/large.bin", "If-Modified-Since", modified);
        assertThat(byDate.statusCode()).isEqualTo(304);
        assertThat(byDate.body()).isEmpty();
        HttpResponse<byte[]> changed = send("GET", "/page.html", "If-None-Match", "\"other\"");
        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(changed.body()).hasSize(small.length());
    }

    @Test
    void rangesFromMemoryAndFromAFile() throws Exception {
        HttpResponse<byte[]> fromMemory = send("GET", "/page.html", "Range", "bytes=3-9");
        assertThat(fromMemory.statusCode()).isEqualTo(206);
        assertThat(new String(fromMemory.body(), StandardCharsets.UTF_8)).isEqualTo(small.substring(3, 10));
        assertThat(fromMemory.headers().firstValue("content-range")).hasValue("bytes 3-9/" + small.length());
        assertThat(fromMemory.headers().firstValue("content-length")).hasValue("7");

        HttpResponse<byte[]> fromFile = send("GET", "/large.bin", "Range", "bytes=100000-299999");
        assertThat(fromFile.statusCode()).isEqualTo(206);
        assertThat(fromFile.body()).isEqualTo(Arrays.copyOfRange(large, 100000, 300000));
        assertThat(fromFile.headers().firstValue("content-range")).hasValue("bytes 100000-299999/" + large.length);

        HttpResponse<byte[]> parts = send("GET", "/large.bin", "Range", "bytes=0-9,500000-500009");
        assertThat(parts.statusCode()).isEqualTo(206);
        String type = parts.headers().firstValue("content-type").orElseThrow();
        assertThat(type).startsWith("multipart/byteranges; boundary=");
        String body = new String(parts.body(), StandardCharsets.ISO_8859_1);
        assertThat(parts.headers().firstValue("content-length")).hasValue(Integer.toString(parts.body().length));
        assertThat(body).contains("Content-Range: bytes 0-9/" + large.length)
                .contains(new String(large, 0, 10, StandardCharsets.ISO_8859_1))
                .contains("Content-Range: bytes 500000-500009/" + large.length)
                .contains(new String(large, 500000, 10, StandardCharsets.ISO_8859_1))
                .endsWith("--" + type.substring(type.indexOf('=') + 1) + "--\r\n");

        HttpResponse<byte[]> unsatisfiable = send("GET", "/page.html", "Range", "bytes=99999-");
        assertThat(unsatisfiable.statusCode()).isEqualTo(416);
        assertThat(unsatisfiable.headers().firstValue("content-range")).hasValue("bytes */" + small.length());
    }

    @Test
    void aLargeFileReadInChunksAndItsHead() throws Exception {
        for (int i = 0; i < 2; i++) {
            HttpResponse<byte[]> r = send("GET", "/large.bin");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(large);
            assertThat(r.headers().firstValue("content-length")).hasValue(Integer.toString(large.length));
        }
        HttpResponse<byte[]> head = send("HEAD", "/large.bin");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("content-length")).hasValue(Integer.toString(large.length));
    }

    @Test
    void theGzipVariantFromMemory() throws Exception {
        for (int i = 0; i < 2; i++) {
            HttpResponse<byte[]> r = send("GET", "/page.html", "Accept-Encoding", "gzip");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-encoding")).hasValue("gzip");
            assertThat(r.headers().firstValue("vary")).hasValue("Accept-Encoding");
            assertThat(r.headers().firstValue("content-length")).hasValue(Integer.toString(r.body().length));
            byte[] plain = new GZIPInputStream(new ByteArrayInputStream(r.body())).readAllBytes();
            assertThat(new String(plain, StandardCharsets.UTF_8)).isEqualTo(small);
        }
    }

    @Test
    void errorsAndRedirects() throws Exception {
        HttpResponse<byte[]> missing = send("GET", "/missing.html");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("content-length")).hasValue(Integer.toString(missing.body().length));
        assertThat(missing.body()).isNotEmpty();

        HttpResponse<byte[]> slash = send("GET", "/sub?x=1");
        assertThat(slash.statusCode()).isEqualTo(301);
        assertThat(slash.headers().firstValue("location")).hasValue("/sub/?x=1");

        HttpResponse<byte[]> notAllowed = send("DELETE", "/page.html");
        assertThat(notAllowed.statusCode()).isIn(404, 405);
        assertThat(send("GET", "/sub/").body()).isEqualTo("sub\n".getBytes(StandardCharsets.UTF_8));
    }
}
